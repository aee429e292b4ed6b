"""Whether an elder's visits in a month meet the plan — a pure function of the visits.

The plan's minimum (A/B/C 三類的最低探訪頻次):
- A: an in-home visit (上門入戶) in the month;
- B: a visit of any method in the month, and an in-home visit within the last 6 months;
- C: a visit of any method in the month, and an in-home visit within the last 12 months;
where "within the last 6 / 12 months" means in that month or the 5 / 11 calendar months
before it. On top of that, a heightened-watch period (extreme weather, festivals, disasters,
public-health events) asks for ``min_visits_per_week`` visits in each week of the period.
A refused visit (the elder or family declined) is recorded but is not a visit made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from care.month import Month, local_day

METHODS: Final = ("in_home", "phone", "video", "online")
IN_HOME: Final = "in_home"
# An in-home visit in month L covers months L .. L + span - 1.
IN_HOME_SPAN: Final = {"A": 1, "B": 6, "C": 12}
WEEK: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class VisitFact:
    visited_at: datetime
    method: str
    refused: bool = False


@dataclass(frozen=True, slots=True)
class WatchPeriod:
    """A declared period of heightened watch; ``town`` None means every town."""

    id: int
    town: str | None
    start: date
    end: date
    reason: str
    min_visits_per_week: int


@dataclass(frozen=True, slots=True)
class WatchWindow:
    """One week (the last may be shorter) of a watch period and what it asked for."""

    period_id: int
    reason: str
    start: date
    end: date
    required: int
    made: int

    @property
    def met(self) -> bool:
        return self.made >= self.required


@dataclass(frozen=True, slots=True)
class Assessment:
    category: str | None
    month: Month
    monthly_visit_met: bool
    in_home_met: bool
    plan_minimum_met: bool | None
    compliant: bool | None
    last_in_home_at: datetime | None
    next_in_home_due: date | None
    in_home_overdue: bool
    watch: tuple[WatchWindow, ...]


def counted(visits: Iterable[VisitFact]) -> list[VisitFact]:
    """The visits that were made (a refusal is on record but is not a visit)."""
    return [v for v in visits if not v.refused]


def assess(
    category: str | None,
    month: Month,
    visits: Sequence[VisitFact],
    *,
    last_in_home_at: datetime | None,
    watch: Sequence[WatchPeriod],
    tz: ZoneInfo,
    today: date,
) -> Assessment:
    """Judge ``month`` for an elder of ``category``.

    ``visits``: the elder's visits from a week before the month to a week after it (a watch
    week may straddle the month's edges); ``last_in_home_at``: the latest in-home visit made
    at or before the end of the month, however long ago. ``today`` (local) limits which watch
    weeks have begun.
    """
    made = counted(visits)
    days = [(local_day(v.visited_at, tz), v.method) for v in made]
    monthly = any(month.contains(day) for day, _ in days)
    last_month = Month.of(local_day(last_in_home_at, tz)) if last_in_home_at else None
    span = IN_HOME_SPAN.get(category or "")
    in_home = _in_home_met(month, last_month, span or 1)
    windows = tuple(
        window
        for period in watch
        for window in watch_windows(period, month, today, [day for day, _ in days])
    )
    if span is None:
        return Assessment(
            category, month, monthly, in_home, None, None, last_in_home_at, None, False, windows
        )
    plan_met = in_home if category == "A" else (monthly and in_home)
    due, overdue = _next_in_home_due(month, last_month, span)
    compliant = plan_met and all(w.met for w in windows)
    return Assessment(
        category,
        month,
        monthly,
        in_home,
        plan_met,
        compliant,
        last_in_home_at,
        due,
        overdue,
        windows,
    )


def _in_home_met(month: Month, last: Month | None, span: int) -> bool:
    return last is not None and 0 <= month.index - last.index < span


def _next_in_home_due(month: Month, last: Month | None, span: int) -> tuple[date, bool]:
    """The day by which the next in-home visit must be made, and whether that day had
    already passed before ``month`` began (overdue from an earlier month)."""
    if last is None:
        return month.last_day, False
    due_month = last.shift(span)
    return due_month.last_day, due_month < month


def watch_windows(
    period: WatchPeriod, month: Month, today: date, visit_days: Sequence[date]
) -> list[WatchWindow]:
    """The weeks of ``period`` that touch ``month`` and have begun by ``today``, each with
    the visits it needs (pro rata for a short last week, rounded up) and the visits made."""
    windows: list[WatchWindow] = []
    start = period.start
    while start <= period.end and start <= month.last_day:
        end = min(start + WEEK - timedelta(days=1), period.end)
        if end >= month.first_day and start <= today:
            length = (end - start).days + 1
            required = math.ceil(period.min_visits_per_week * length / 7)
            made = sum(1 for day in visit_days if start <= day <= end)
            windows.append(WatchWindow(period.id, period.reason, start, end, required, made))
        start += WEEK
    return windows
