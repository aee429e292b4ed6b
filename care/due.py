"""The contact person's work list: who still needs a visit of which kind this month.

Class A needs an in-home visit; B and C need a visit of any method, and an in-home visit
when their 6 / 12-month span runs out; a heightened-watch week adds the visits it asks
for. Most urgent first: an in-home visit already overdue from an earlier month, then by
class (A before B before C), then the earliest deadline, then whoever has gone longest
without any visit. Elders who refuse visits stay on the list, last, so that nobody is
forgotten silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from care.compliance import Assessment, VisitFact, WatchPeriod, assess
from care.month import Month

CATEGORY_RANK: Final = {"A": 0, "B": 1, "C": 2}
_NEVER: Final = float("-inf")


@dataclass(frozen=True, slots=True)
class Need:
    kind: str  # "in_home" | "any" | "watch"
    count: int
    by: date


@dataclass(frozen=True, slots=True)
class TownElder:
    """One classified elder of a town's month, for the due list."""

    elder_id: str
    town: str | None
    category: str
    visit_consent: bool
    contact_person: str | None
    last_visit_at: datetime | None
    last_visit_method: str | None
    last_in_home_at: datetime | None
    near_visits: list[VisitFact]
    name: str | None = None  # who the visitor is looking for (masked for viewers)
    village: str | None = None


@dataclass(frozen=True, slots=True)
class DueCandidate:
    """An elder on file and the assessment of the elder's month."""

    elder: TownElder
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class DueItem:
    candidate: DueCandidate
    needs: tuple[Need, ...]

    @property
    def overdue(self) -> bool:
        return self.candidate.assessment.in_home_overdue


def needs_of(assessment: Assessment, today: date) -> list[Need]:
    """What is still to be done in the assessed month (nothing for an unserved person)."""
    category = assessment.category
    if category is None:
        return []
    month_end = assessment.month.last_day
    found: list[Need] = []
    if not assessment.in_home_met:
        found.append(Need("in_home", 1, month_end))
    elif category != "A" and not assessment.monthly_visit_met:
        found.append(Need("any", 1, month_end))
    for window in assessment.watch:
        if not window.met and window.end >= today:
            found.append(Need("watch", window.required - window.made, window.end))
    return found


def _urgency(item: DueItem) -> tuple[bool, bool, int, date, float, str]:
    c = item.candidate.elder
    last = c.last_visit_at.timestamp() if c.last_visit_at else _NEVER
    return (
        not c.visit_consent,
        not item.overdue,
        CATEGORY_RANK.get(c.category, 3),
        min(need.by for need in item.needs),
        last,
        c.elder_id,
    )


def due_list(candidates: Iterable[DueCandidate], today: date) -> list[DueItem]:
    """The elders with something still to do, most urgent first."""
    items = [
        DueItem(c, tuple(needs)) for c in candidates if (needs := needs_of(c.assessment, today))
    ]
    return sorted(items, key=_urgency)


def candidates(
    elders: Iterable[TownElder],
    month: Month,
    watch: Sequence[WatchPeriod],
    tz: ZoneInfo,
    today: date,
) -> list[DueCandidate]:
    """Assess each elder's month, with the watch periods of the elder's town."""
    found = []
    for elder in elders:
        periods = [p for p in watch if p.town is None or p.town == elder.town]
        assessment = assess(
            elder.category,
            month,
            elder.near_visits,
            last_in_home_at=elder.last_in_home_at,
            watch=periods,
            tz=tz,
            today=today,
        )
        found.append(DueCandidate(elder, assessment))
    return found
