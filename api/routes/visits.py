"""``/api/v1/visits`` and ``/api/v1/elders/{id}/visits``: visit records, and the contact
person's work list of visits still due this month."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Body, Header, Query, Response, status

from api.auth import ElderReader, ElderWriter
from api.errors import field_error
from api.masking import due_shown, visit_shown
from api.pagination import CursorDep, LimitQuery, Page, encode_cursor
from api.params import instant, plain_text
from api.routes.care_common import ElderIdPath, MonthQuery, actor_of, month_of
from api.schemas import DueOut
from api.state import StateDep
from care import visit_services
from care.visits import Visit, VisitCreate

router = APIRouter(tags=["visits"])
DEFAULT_VISITS: Final = 100


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[!-~]{1,200}$",
        description="any text of 1-200 printable ASCII characters, unique per visit (a UUID):"
        " a retry with the same key records nothing new and answers the first visit (200)",
    ),
]


@router.post(
    "/visits",
    status_code=status.HTTP_201_CREATED,
    response_model=Visit,
    responses={
        200: {"description": "a retry with the same Idempotency-Key: the visit recorded first"},
        409: {"description": "the Idempotency-Key was used for another visit"},
    },
)
async def record_visit(
    visit: Annotated[VisitCreate, Body()],
    principal: ElderWriter,
    state: StateDep,
    response: Response,
    key: IdempotencyKey = None,
) -> Visit:
    """Record a visit (in-home, phone, video or online). A paper form may be typed in later,
    but a visit cannot lie in the future. With an ``Idempotency-Key`` header, a client that
    retries (a lost answer, a flaky network) records the visit once."""
    async with state.connection() as conn:
        stored, created = await visit_services.record_visit(
            conn, actor_of(principal), visit, now=state.clock(), tz=state.settings.tz, key=key
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return stored


@router.get("/elders/{elder_id}/visits", response_model=Page[Visit])
async def list_visits(
    *,
    elder_id: ElderIdPath,
    principal: ElderReader,
    state: StateDep,
    cursor: CursorDep,
    start: Annotated[str | None, Query(alias="from", description="ISO 8601 or epoch")] = None,
    end: Annotated[str | None, Query(alias="to", description="ISO 8601 or epoch")] = None,
    limit: LimitQuery = DEFAULT_VISITS,
) -> Page[Visit]:
    """The elder's visits, newest first, each with its source (a person, or a check-in of
    a device); an online visit made by check-ins lists the presses behind it (``evidence``)."""
    tz = state.settings.tz
    since, until = instant(start, "from", tz), instant(end, "to", tz)
    before = None
    if cursor is not None:
        if not cursor.isdigit():
            raise field_error(("query", "cursor"), "not a cursor of this list", cursor)
        before = int(cursor)
    async with state.connection() as conn:
        found = await visit_services.elder_visits(
            conn,
            actor_of(principal),
            elder_id,
            since=since,
            until=until,
            before_id=before,
            limit=limit,
        )
    more = len(found) > limit
    items = [visit_shown(v, masked=not principal.sees_identity) for v in found[:limit]]
    return Page[Visit](items=items, next_cursor=encode_cursor(str(items[-1].id)) if more else None)


@router.get("/visits/due", response_model=Page[DueOut])
async def visits_due(
    *,
    principal: ElderReader,
    state: StateDep,
    cursor: CursorDep,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    month: MonthQuery = None,
    limit: LimitQuery = 200,
) -> Page[DueOut]:
    """The work list: elders who still need a visit this month and of which kind, most
    urgent first, with their contact person and last visit. Town staff see their town."""
    today = state.today()
    asked = month_of(month, today)
    offset = int(cursor) if cursor is not None and cursor.isdigit() else 0
    async with state.connection() as conn:
        page = await visit_services.visits_due(
            conn,
            actor_of(principal),
            plain_text(town, "town"),
            asked,
            today=today,
            tz=state.settings.tz,
            offset=offset,
            limit=limit,
        )
    return Page[DueOut](
        items=[due_shown(i, masked=not principal.sees_identity) for i in page.items],
        next_cursor=encode_cursor(str(offset + limit)) if page.more else None,
    )
