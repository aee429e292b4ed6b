"""``/api/v1/visits`` and ``/api/v1/elders/{id}/visits``: visit records, and the contact
person's work list of visits still due this month."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Body, Header, HTTPException, Query, Response, status
from pydantic import BaseModel

from api.auth import ElderReader, ElderWriter
from api.errors import field_error
from api.masking import mask_name, visit_shown
from api.pagination import CursorDep, LimitQuery, Page, encode_cursor
from api.params import instant, plain_text
from api.routes.care_common import (
    ElderIdPath,
    MonthQuery,
    actor_of,
    month_of,
    readable_elder,
    scope_town,
)
from api.state import StateDep
from care import audit, audit_repo, compliance_repo, visits_repo, watch_repo
from care.due import DueItem, candidates, due_list
from care.month import Month, as_of, local_day
from care.visits import Visit, VisitCreate

router = APIRouter(tags=["visits"])
DEFAULT_VISITS: Final = 100
CHECKIN_SOURCE: Final = "checkin"


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
    if visit.in_future(state.clock()):
        raise field_error(("body", "visited_at"), "a visit cannot lie in the future", None)
    async with state.connection() as conn:
        try:
            await readable_elder(conn, principal, visit.elder_id, what="elder.visits", write=True)
        except HTTPException as exc:
            if exc.status_code == status.HTTP_404_NOT_FOUND:
                raise field_error(
                    ("body", "elder_id"), "no elder with this id is on file", visit.elder_id
                ) from None
            raise
        day = local_day(visit.visited_at, state.settings.tz)
        stored, created = await visits_repo.insert_visit(
            conn, visit, day, actor_of(principal).name, key=key
        )
    if not created:
        if not _same_visit(stored, visit):
            raise HTTPException(
                status.HTTP_409_CONFLICT, "this Idempotency-Key was used for another visit"
            )
        response.status_code = status.HTTP_200_OK
    return stored


def _same_visit(stored: Visit, sent: VisitCreate) -> bool:
    """Whether a retry carries the visit stored under its key (not another one)."""
    return (
        stored.elder_id == sent.elder_id
        and stored.method == sent.method
        and stored.visited_at == sent.visited_at
        and stored.visitor == sent.visitor
        and stored.refused == sent.refused
        and stored.findings == sent.findings
        and stored.follow_up == list(sent.follow_up)
        and stored.follow_up_notes == sent.follow_up_notes
    )


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
        await readable_elder(conn, principal, elder_id, what="elder.visits")
        found = await visits_repo.list_visits(
            conn, elder_id, since, until, before_id=before, limit=limit + 1
        )
        items = found[:limit]
        evidence = await visits_repo.evidence_for(
            conn, [v.id for v in items if v.source == CHECKIN_SOURCE]
        )
    more = len(found) > limit
    masked = not principal.sees_identity
    items = [
        visit_shown(
            v.model_copy(update={"evidence": evidence.get(v.id, [])})
            if v.source == CHECKIN_SOURCE
            else v,
            masked=masked,
        )
        for v in items
    ]
    return Page[Visit](items=items, next_cursor=encode_cursor(str(items[-1].id)) if more else None)


class NeedOut(BaseModel):
    kind: str
    """``in_home`` (an in-home visit), ``any`` (a visit of any method), ``watch`` (extra
    visits of a heightened-watch week)."""
    count: int
    by: date


class DueOut(BaseModel):
    elder_id: str
    town: str | None
    category: str
    needs: list[NeedOut]
    overdue: bool
    next_in_home_due: date | None
    visit_consent: bool
    contact_person: str | None
    last_visit_at: datetime | None
    last_visit_method: str | None
    last_in_home_at: datetime | None

    @classmethod
    def of(cls, item: DueItem, *, masked: bool) -> DueOut:
        c, assessment = item.candidate.elder, item.candidate.assessment
        person = c.contact_person
        if masked and person is not None:
            person = mask_name(person)
        return cls(
            elder_id=c.elder_id,
            town=c.town,
            category=c.category,
            needs=[NeedOut(kind=n.kind, count=n.count, by=n.by) for n in item.needs],
            overdue=item.overdue,
            next_in_home_due=assessment.next_in_home_due,
            visit_consent=c.visit_consent,
            contact_person=person,
            last_visit_at=c.last_visit_at,
            last_visit_method=c.last_visit_method,
            last_in_home_at=assessment.last_in_home_at,
        )


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
    town = scope_town(principal, plain_text(town, "town"))
    today = state.today()
    asked = month_of(month, Month.of(today))
    offset = int(cursor) if cursor is not None and cursor.isdigit() else 0
    tz = state.settings.tz
    async with state.connection() as conn:
        rows = await compliance_repo.town_month(conn, town, asked, as_of(asked, today), tz)
        periods = await watch_repo.periods_touching(
            conn, asked.first_day, asked.last_day, town, every_town=town is None
        )
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.LIST,
            "visits.due",
            None,
            town=town,
            detail={"month": str(asked), "elders": len(rows)},
        )
    items = due_list(candidates(rows, asked, [p.period() for p in periods], tz, today), today)
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return Page[DueOut](
        items=[DueOut.of(i, masked=not principal.sees_identity) for i in page],
        next_cursor=encode_cursor(str(offset + limit)) if more else None,
    )
