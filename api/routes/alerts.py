"""``/api/v1/alerts``: the alerts, one with its timeline, acknowledge, resolve.

Operators and admins act on every alert; town staff see and act on their own town's
elders' alerts only; viewers read, with who acted and the notes masked."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Body, Depends, Path, Query

from alerting import services
from alerting.models import AckRequest, AlertType, ResolveRequest, Status
from api.auth import ElderReader, Principal, Role, require
from api.errors import field_error
from api.masking import alert_detail_shown, alert_shown
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.routes.care_common import actor_of
from api.schemas import AlertDetail, AlertPublic
from api.state import StateDep
from care.models import ELDER_ID_PATTERN

router = APIRouter(prefix="/alerts", tags=["alerts"])

_MAX_ID: Final = 2**63 - 1

AlertReader = ElderReader
AlertActor = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF))]
AlertIdPath = Annotated[int, Path(ge=1, le=_MAX_ID, description="The alert's id")]


@router.get("", response_model=Page[AlertPublic])
async def list_alerts(
    *,
    principal: AlertReader,
    state: StateDep,
    cursor: CursorDep,
    status: Status | None = None,
    elder_id: Annotated[str | None, Query(pattern=ELDER_ID_PATTERN)] = None,
    alert_type: Annotated[AlertType | None, Query(alias="type")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[AlertPublic]:
    """Alerts newest first, filtered by status, elder and type; town staff see their own
    town's elders' alerts only (``elder_id`` of another town: 403)."""
    before = _cursor_id(cursor)
    async with state.connection() as conn:
        found = await services.list_alerts(
            conn,
            actor_of(principal),
            status=status,
            elder_id=elder_id,
            alert_type=alert_type,
            before_id=before,
            limit=limit,
        )
    page = page_of(found, limit)
    masked = not principal.sees_identity
    return Page[AlertPublic](
        items=[alert_shown(a, masked=masked) for a in page.items], next_cursor=page.next_cursor
    )


@router.get("/{alert_id}", response_model=AlertDetail)
async def get_alert(alert_id: AlertIdPath, principal: AlertReader, state: StateDep) -> AlertDetail:
    """One alert with its timeline: every state change, every notification attempt."""
    async with state.connection() as conn:
        view = await services.alert_view(conn, actor_of(principal), alert_id)
    return alert_detail_shown(view, masked=not principal.sees_identity)


@router.post("/{alert_id}/ack", response_model=AlertDetail)
async def acknowledge(
    alert_id: AlertIdPath,
    request: Annotated[AckRequest, Body()],
    principal: AlertActor,
    state: StateDep,
) -> AlertDetail:
    """Acknowledge: someone is on it. An ack is not a resolution. A resolved alert: 409."""
    async with state.connection() as conn:
        view = await services.acknowledge(
            conn, actor_of(principal), alert_id, request, state.clock()
        )
    return alert_detail_shown(view, masked=False)


@router.post("/{alert_id}/resolve", response_model=AlertDetail)
async def resolve(
    alert_id: AlertIdPath,
    request: Annotated[ResolveRequest, Body()],
    principal: AlertActor,
    state: StateDep,
) -> AlertDetail:
    """Resolve with the outcome (``false_alarm``, ``handled_at_home``, ``sent_to_hospital``,
    ``deceased``, ``device_fault``, ``other``) and notes. Already resolved: 409."""
    async with state.connection() as conn:
        view = await services.resolve(conn, actor_of(principal), alert_id, request, state.clock())
    return alert_detail_shown(view, masked=False)


def _cursor_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or not 1 <= int(cursor) <= _MAX_ID:
        raise field_error(("query", "cursor"), "not a cursor from this API", cursor)
    return int(cursor)
