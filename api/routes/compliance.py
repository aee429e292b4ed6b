"""``/api/v1/elders/{id}/compliance``: whether the month's visits meet the plan."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from api.auth import ElderReader
from api.masking import visit_shown
from api.routes.care_common import ElderIdPath, MonthQuery, actor_of, check_town, month_of
from api.state import StateDep
from care import audit, audit_repo, compliance_repo
from care.category import classify
from care.compliance import VisitFact, assess
from care.month import Month, as_of, local_day
from care.visits import Visit

router = APIRouter(tags=["visits"])


class WatchOut(BaseModel):
    period_id: int
    reason: str
    start: date
    end: date
    required: int
    made: int
    met: bool


class ComplianceOut(BaseModel):
    elder_id: str
    month: str
    as_of: date
    category: str | None
    category_reason: str
    monthly_visit_met: bool
    in_home_met: bool
    plan_minimum_met: bool | None
    compliant: bool | None
    """The plan's minimum and every heightened-watch week so far; null when the person
    is not a special-difficulty elder (no requirement)."""
    visits: list[Visit]
    last_in_home_at: datetime | None
    next_in_home_due: date | None
    in_home_overdue: bool
    watch: list[WatchOut]


@router.get("/elders/{elder_id}/compliance", response_model=ComplianceOut)
async def compliance(
    elder_id: ElderIdPath, principal: ElderReader, state: StateDep, month: MonthQuery = None
) -> ComplianceOut:
    """A: an in-home visit in the month; B: any visit in the month and an in-home visit in
    it or the 5 months before; C: the same with the 11 months before. Read in one query."""
    today = state.today()
    asked = month_of(month, Month.of(today))
    tz = state.settings.tz
    async with state.connection() as conn:
        found = await compliance_repo.elder_month(conn, elder_id, asked, tz)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such elder")
        check_town(principal, found.elder.town)
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.READ,
            "elder.compliance",
            elder_id,
            town=found.elder.town,
            detail={"month": str(asked)},
        )
    on = as_of(asked, today)
    category, reason = classify(found.elder, on)
    facts = [VisitFact(v.visited_at, v.method, v.refused) for v in found.visits]
    result = assess(
        category,
        asked,
        facts,
        last_in_home_at=found.last_in_home_at,
        watch=found.watch,
        tz=tz,
        today=today,
    )
    return ComplianceOut(
        elder_id=elder_id,
        month=str(asked),
        as_of=on,
        category=category,
        category_reason=reason,
        monthly_visit_met=result.monthly_visit_met,
        in_home_met=result.in_home_met,
        plan_minimum_met=result.plan_minimum_met,
        compliant=result.compliant,
        visits=[
            visit_shown(v, masked=not principal.sees_identity)
            for v in found.visits
            if asked.contains(local_day(v.visited_at, tz))
        ],
        last_in_home_at=result.last_in_home_at,
        next_in_home_due=result.next_in_home_due,
        in_home_overdue=result.in_home_overdue,
        watch=[
            WatchOut(
                period_id=w.period_id,
                reason=w.reason,
                start=w.start,
                end=w.end,
                required=w.required,
                made=w.made,
                met=w.met,
            )
            for w in result.watch
        ],
    )
