"""``/api/v1/dead-letters``: what the gateway refused, and why; and its replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Admin, FleetReader
from api.errors import field_error
from api.masking import dead_letter_shown
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import plain_text
from api.routes.care_common import actor_of
from api.state import StateDep
from care import services as care_services
from devices import services
from devices.models import DeadLetterPublic
from devices.replay import ReplayResult, ReplaySelection
from devices.schema import Reason

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


@router.get("", response_model=Page[DeadLetterPublic])
async def list_dead_letters(
    *,
    principal: FleetReader,
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
        rows = await services.dead_letters(
            conn,
            device_id=plain_text(device_id, "device_id"),
            reason=None if reason is None else str(reason),
            before=before,
            limit=limit,
        )
    return page_of([dead_letter_shown(d, redacted=principal.redacted) for d in rows], limit)


@router.post("/replay", response_model=ReplayResult)
async def replay_dead_letters(
    principal: Admin, state: StateDep, selection: ReplaySelection
) -> ReplayResult:
    """Feed the selected dead letters (all, when the body is ``{}``) back through the
    gateway's decoder and writer with their original receive time: what is valid now is
    stored once and leaves the list; what is still refused stays with its reason of now."""
    result = await services.replay_dead_letters(state.replayer, selection)
    # The audit log is care's (devices may not import care): the API joins the two.
    async with state.connection() as conn:
        await care_services.record_replay(
            conn,
            actor_of(principal),
            selection.device_id,
            {
                "selection": selection.model_dump(mode="json", exclude_none=True),
                "result": result.model_dump(mode="json"),
            },
        )
    return result
