"""The coverage use case: every hole in the escalation paths (``alerting.coverage``), with
the town rule (town staff: their own town) and the audit record."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from alerting import coverage_repo, oncall_repo
from alerting.coverage import (
    HORIZON,
    SECONDS_PER_HOUR,
    Coverage,
    CoverageCounts,
    DutyProblem,
    TownUncovered,
    TownWithoutDuty,
    UncoveredSpan,
    hours,
    town_gaps,
)
from alerting.coverage_repo import TownDutyRow
from care import audit, audit_repo
from care.access import TOWN_STAFF, scope_town
from care.audit import Actor
from care.town_services import filter_town
from store.db import Conn

ENTITY: Final = "alerts.coverage"
# The roster of a week, read whole: far more shifts than any county's week holds.
MAX_SHIFTS: Final = 100_000


async def coverage(
    conn: Conn, actor: Actor, town: str | None, *, now: datetime, limit: int
) -> Coverage:
    """The holes in the escalation paths of the elders of ``town`` (an alias is accepted;
    None: every town; town staff: their own town whatever is asked, another town: 403), the
    roster checked over [``now``, ``now`` + 7 days). Each list holds at most ``limit``
    entries; ``counts`` has the totals."""
    scoped = scope_town(actor, await filter_town(conn, town))
    if actor.role == TOWN_STAFF and scoped is None:
        scoped = ""  # a town staff token without a town sees no town, not every town
    elders = await coverage_repo.elders_without_contacts(conn, scoped, limit)
    contacts = await coverage_repo.contacts_without_phone(conn, scoped, limit)
    towns = await coverage_repo.towns_with_elders(conn, scoped)
    uncovered = await _uncovered(conn, towns, now)
    duty = [
        TownWithoutDuty(town=t.town, elders=t.elders, reason=reason)
        for t in towns
        if (reason := _duty_problem(t)) is not None
    ]
    counts = CoverageCounts(
        elders_without_contacts=elders.total,
        contacts_without_phone=contacts.total,
        towns_uncovered=len(uncovered),
        towns_without_duty_contact=len(duty),
    )
    await audit_repo.record(
        conn, actor, audit.LIST, ENTITY, None, town=scoped, detail=counts.model_dump()
    )
    return Coverage(
        generated_at=now,
        horizon_hours=int(HORIZON.total_seconds()) // SECONDS_PER_HOUR,
        town=scoped or None,
        counts=counts,
        elders_without_contacts=elders.items,
        contacts_without_phone=contacts.items,
        towns_uncovered=uncovered,
        towns_without_duty_contact=duty,
        truncated=elders.total > len(elders.items) or contacts.total > len(contacts.items),
    )


async def _uncovered(conn: Conn, towns: list[TownDutyRow], now: datetime) -> list[TownUncovered]:
    """The towns with hours of the horizon that no shift covers, with those hours."""
    if not towns:
        return []
    end = now + HORIZON
    shifts = await oncall_repo.overlapping(conn, now, end, None, limit=MAX_SHIFTS)
    found = []
    for town in towns:
        gaps = town_gaps(now, end, shifts, town.town)
        if not gaps:
            continue
        spans = [UncoveredSpan(start=g.start, end=g.end, hours=hours(g.seconds)) for g in gaps]
        total = hours(sum(g.seconds for g in gaps))
        found.append(
            TownUncovered(town=town.town, elders=town.elders, uncovered=spans, hours=total)
        )
    return found


def _duty_problem(town: TownDutyRow) -> DutyProblem | None:
    if not town.registered:
        return DutyProblem.UNREGISTERED_TOWN
    if not town.has_duty_phone:
        return DutyProblem.NO_DUTY_PHONE
    if town.unusable_duty_phone:
        return DutyProblem.UNUSABLE_DUTY_PHONE
    return None
