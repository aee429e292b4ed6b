"""``/api/v1/dead-letters``: what the gateway refused, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import FleetReader
from api.errors import field_error
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import plain_text
from api.state import StateDep
from devices import repo
from devices.models import DeadLetterPublic
from devices.schema import Reason

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


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
