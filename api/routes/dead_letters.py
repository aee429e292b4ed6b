"""``/api/v1/dead-letters``: what the gateway refused, and why; and its replay."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Query, status

from api.auth import Admin, FleetReader
from api.errors import field_error
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import plain_text
from api.routes.care_common import actor_of
from api.state import StateDep
from care import audit, audit_repo
from devices import repo
from devices.models import DeadLetterPublic
from devices.replay import ReplayResult, ReplaySelection
from devices.schema import Reason

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])

_NO_REPLAY: Final = "dead-letter replay is not available in this process"


@router.get("", response_model=Page[DeadLetterPublic])
async def list_dead_letters(
    *,
    _: FleetReader,
    state: StateDep,
    cursor: CursorDep,
    device_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    reason: Annotated[Reason | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[DeadLetterPublic]:
    """Refused messages, newest first, each payload cut at 1 KiB."""
    before: int | None = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise field_error(("query", "cursor"), "not a cursor from this list", cursor)
        before = int(cursor)
    async with state.connection() as conn:
        rows = await repo.list_dead_letters(
            conn,
            device_id=plain_text(device_id, "device_id"),
            reason=None if reason is None else str(reason),
            before=before,
            limit=limit + 1,
        )
    return page_of(list(rows), limit)


@router.post("/replay", response_model=ReplayResult)
async def replay_dead_letters(
    principal: Admin, state: StateDep, selection: ReplaySelection
) -> ReplayResult:
    """Feed the selected dead letters (all, when the body is ``{}``) back through the
    gateway's decoder and writer with their original receive time: what is valid now is
    stored once and leaves the list; what is still refused stays with its reason of now."""
    if state.replayer is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, _NO_REPLAY)
    result = await state.replayer.replay(selection)
    async with state.connection() as conn:
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.REPLAY,
            "dead_letters",
            selection.device_id,
            detail={
                "selection": selection.model_dump(mode="json", exclude_none=True),
                "result": result.model_dump(mode="json"),
            },
        )
    return result
