"""The care use cases of visits: recording one, an elder's visits and month (compliance),
the contact person's due list, heightened-watch periods and the monthly report. As in
``care.services``: one transaction's logic on the caller's connection, the town rule and
the audit record included; answers are unmasked domain objects.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from care import audit, audit_repo, compliance_repo, report, visits_repo, watch_repo
from care.access import NO_SUCH_ELDER, check_town, readable_elder, scope_town
from care.audit import Actor
from care.category import classify
from care.compliance import Assessment, VisitFact, WatchPeriod, assess
from care.due import DueItem, TownElder, candidates, due_list
from care.errors import ConflictError, InvalidFieldError, NotFoundError
from care.month import Month, as_of, local_day
from care.town_services import filter_town, registered_town
from care.visits import Visit, VisitCreate
from care.watch import WatchPeriodCreate, WatchPeriodPublic
from store.db import Conn

CHECKIN_SOURCE: Final = "checkin"
KEY_REUSED: Final = "this Idempotency-Key was used for another visit"


@dataclass(frozen=True, slots=True)
class ComplianceView(Assessment):
    """Whether an elder's month meets the plan (the assessment), with the month's visits."""

    elder_id: str
    as_of: date
    category_reason: str
    visits: list[Visit]


@dataclass(frozen=True, slots=True)
class DuePage:
    items: list[DueItem]
    more: bool


async def record_visit(
    conn: Conn, actor: Actor, visit: VisitCreate, *, now: datetime, tz: ZoneInfo, key: str | None
) -> tuple[Visit, bool]:
    """Record a visit, back-dated or not but never in the future. With an idempotency
    ``key``, a retry records nothing new: returns the visit and whether it is new."""
    if visit.in_future(now):
        raise InvalidFieldError("visited_at", "a visit cannot lie in the future")
    try:
        elder = await readable_elder(conn, actor, visit.elder_id, what="elder.visits", write=True)
    except NotFoundError:
        raise InvalidFieldError(
            "elder_id", "no elder with this id is on file", visit.elder_id
        ) from None
    day = local_day(visit.visited_at, tz)
    if elder.birth_date is not None and day < elder.birth_date:
        raise InvalidFieldError("visited_at", "a visit cannot predate the elder's birth", str(day))
    stored, created = await visits_repo.insert_visit(conn, visit, day, actor.name, key=key)
    if not created and not _same_visit(stored, visit):
        raise ConflictError(KEY_REUSED)
    return stored, created


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


async def elder_visits(
    conn: Conn,
    actor: Actor,
    elder_id: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[Visit]:
    """Up to ``limit + 1`` visits, newest first; an online visit made by check-ins carries
    the presses behind it (``evidence``). The read is audited."""
    await readable_elder(conn, actor, elder_id, what="elder.visits")
    found = await visits_repo.list_visits(
        conn, elder_id, since, until, before_id=before_id, limit=limit + 1
    )
    checkins = [v.id for v in found[:limit] if v.source == CHECKIN_SOURCE]
    evidence = await visits_repo.evidence_for(conn, checkins)
    return [
        v.model_copy(update={"evidence": evidence.get(v.id, [])})
        if v.source == CHECKIN_SOURCE
        else v
        for v in found
    ]


async def elder_compliance(
    conn: Conn, actor: Actor, elder_id: str, month: Month, *, today: date, tz: ZoneInfo
) -> ComplianceView:
    """A: an in-home visit in the month; B: any visit in the month and an in-home visit in
    it or the 5 months before; C: the same with the 11 months before. Read in one query."""
    found = await compliance_repo.elder_month(conn, elder_id, month, tz)
    if found is None:
        raise NotFoundError(NO_SUCH_ELDER)
    check_town(actor, found.elder.town, "elder.compliance", elder_id)
    await audit_repo.record(
        conn,
        actor,
        audit.READ,
        "elder.compliance",
        elder_id,
        town=found.elder.town,
        detail={"month": str(month)},
    )
    on = as_of(month, today)
    category, reason = classify(found.elder, on)
    facts = [VisitFact(v.visited_at, v.method, v.refused) for v in found.visits]
    result = assess(
        category,
        month,
        facts,
        last_in_home_at=found.last_in_home_at,
        watch=found.watch,
        tz=tz,
        today=today,
    )
    in_month = [v for v in found.visits if month.contains(local_day(v.visited_at, tz))]
    assessed = {f.name: getattr(result, f.name) for f in fields(result)}
    return ComplianceView(
        **assessed, elder_id=elder_id, as_of=on, category_reason=reason, visits=in_month
    )


async def visits_due(
    conn: Conn,
    actor: Actor,
    town: str | None,
    month: Month,
    *,
    today: date,
    tz: ZoneInfo,
    offset: int,
    limit: int,
) -> DuePage:
    """The work list: elders who still need a visit this month and of which kind, most
    urgent first. Town staff get their own town."""
    town = scope_town(actor, await filter_town(conn, town))
    due = await due_items(conn, town, month, today=today, tz=tz)
    await audit_repo.record(
        conn,
        actor,
        audit.LIST,
        "visits.due",
        None,
        town=town,
        detail={"month": str(month), "elders": due.assessed},
    )
    items = due.items
    return DuePage(items[offset : offset + limit], offset + limit < len(items))


@dataclass(frozen=True, slots=True)
class DueList:
    """The due list whole (``items``, most urgent first) and how many elders were assessed."""

    items: list[DueItem]
    assessed: int


async def due_items(
    conn: Conn, town: str | None, month: Month, *, today: date, tz: ZoneInfo
) -> DueList:
    """The due list of ``town`` (a registered name; None: every town) for ``month``, as
    ``visits_due`` pages it, for the system's own use (no actor, no audit record): the
    ``visit_overdue`` alerts are raised from it."""
    rows = await compliance_repo.town_month(conn, town, month, as_of(month, today), tz)
    periods = await watch_repo.periods_touching(
        conn, month.first_day, month.last_day, town, every_town=town is None
    )
    watch = [p.period() for p in periods]
    # Assessing a county's elders is seconds of CPU: in a worker thread, so that the event
    # loop it would hold up (the gateway's, with its SOS path) keeps running.
    items = await asyncio.to_thread(_due, rows, month, watch, tz, today)
    return DueList(items, len(rows))


def _due(
    rows: list[TownElder], month: Month, watch: list[WatchPeriod], tz: ZoneInfo, today: date
) -> list[DueItem]:
    return due_list(candidates(rows, month, watch, tz, today), today)


async def declare_watch_period(
    conn: Conn, actor: Actor, period: WatchPeriodCreate
) -> WatchPeriodPublic:
    """Declare a period; town staff for their own town, others for one town or all."""
    town = None if period.town is None else await registered_town(conn, period.town)
    period = period.model_copy(update={"town": scope_town(actor, town)})
    stored = await watch_repo.add_period(conn, period, actor.name)
    await audit_repo.record(
        conn, actor, audit.CREATE, "watch_period", str(stored.id), town=stored.town
    )
    return stored


async def watch_periods(
    conn: Conn, actor: Actor, town: str | None, first: date, last: date
) -> list[WatchPeriodPublic]:
    """Periods overlapping [first, last] that apply to ``town`` (town staff: theirs)."""
    town = scope_town(actor, await filter_town(conn, town))
    return await watch_repo.periods_touching(conn, first, last, town, every_town=town is None)


async def monthly_report(
    conn: Conn,
    actor: Actor,
    month: Month,
    town: str | None,
    *,
    today: date,
    tz: ZoneInfo,
    fmt: str,
) -> report.MonthlyReport:
    """The monthly statistics table (town staff: their own town); the export in format
    ``fmt`` is written to the audit log."""
    town = scope_town(actor, await filter_town(conn, town))
    table = await report.monthly_report(conn, month, town, today, tz)
    await audit_repo.record(
        conn,
        actor,
        audit.EXPORT,
        "report.monthly",
        str(month),
        town=town,
        detail={"format": fmt},
    )
    return table
