"""``visit_overdue`` (pure): which towns and elders have visits overdue, read from the due
list (``care.due``, what ``GET /visits/due`` answers).

* **A town's list**: from the configured day of the month (``TANFANG_VISIT_OVERDUE_DAY``,
  25; a day past the month's end is its last day), one alert per town listing the elders
  whose month is not yet met — the plan's minimum: an in-home visit (A, and B/C whose 6 /
  12-month span runs out) or a visit of any method (B/C). Town staff are API tokens with a
  town, not people on file, so the town is whom the list is for: the alert escalates to
  the town's duty contact (the ``low`` policy).
* **An elder's overdue in-home visit**: a class A elder whose in-home visit was due in an
  earlier month and is still not made (``Assessment.in_home_overdue``), any day of the
  month.

Elders who refuse visits stay on the due list, but raise no alert: nothing a visitor does
can meet their month, and the refusal is on their file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from care.due import DueItem
from care.month import Month

# What makes a month "not met": the plan's minimum (a watch week's extra visits are the
# watch's, not the month's, and have their own deadline).
MONTH_NEEDS: Final = frozenset({"in_home", "any"})
OVERDUE_CATEGORY: Final = "A"
DEFAULT_DAY: Final = 25
# Elders listed in one timeline row: a town's list to read; the whole list is GET /visits/due.
MAX_LISTED_ELDERS: Final = 200
TITLE: Final = "探訪逾期"


@dataclass(frozen=True, slots=True)
class VisitOverdueRule:
    """The deployment's time zone (days and months are cut there) and the day of the month
    the towns' lists open (``TANFANG_VISIT_OVERDUE_DAY``)."""

    tz: ZoneInfo
    day: int = DEFAULT_DAY


def lists_open(today: date, day: int) -> bool:
    """Whether the towns' lists are due on ``today``: on or after ``day`` (29-31: the last
    day of a shorter month)."""
    return today.day >= min(day, Month.of(today).last_day.day)


def month_not_met(item: DueItem) -> bool:
    return item.candidate.elder.visit_consent and any(n.kind in MONTH_NEEDS for n in item.needs)


def town_lists(items: Iterable[DueItem]) -> dict[str, list[DueItem]]:
    """The elders whose month is not met, by town (elders without a town are nobody's
    list), in the due list's order (most urgent first)."""
    lists: dict[str, list[DueItem]] = {}
    for item in items:
        town = item.candidate.elder.town
        if town is not None and month_not_met(item):
            lists.setdefault(town, []).append(item)
    return lists


def overdue_elders(items: Iterable[DueItem]) -> dict[str, DueItem]:
    """Class A elders whose in-home visit is overdue from an earlier month, by elder id."""
    return {
        item.candidate.elder.elder_id: item
        for item in items
        if item.overdue
        and item.candidate.elder.category == OVERDUE_CATEGORY
        and item.candidate.elder.visit_consent
    }


def town_summary(town: str, elders: int) -> str:
    """``探訪逾期 — 赤坎鎮 12 位長者本月未達標``."""
    return f"{TITLE} — {town} {elders} 位長者本月未達標"


def elder_summary(item: DueItem) -> str:
    """``探訪逾期 — A 類上門探訪逾期（應於 2026-10-31 前）``."""
    due = item.candidate.assessment.next_in_home_due
    when = f"（應於 {due.isoformat()} 前）" if due is not None else ""
    return f"{TITLE} — A 類上門探訪逾期{when}"


def listing(items: list[DueItem]) -> dict[str, object]:
    """A town's list as a timeline row holds it: ids, classes and needs, never names."""
    return {
        "elders": len(items),
        "listed": [
            {
                "elder_id": i.candidate.elder.elder_id,
                "category": i.candidate.elder.category,
                "needs": sorted({n.kind for n in i.needs}),
                "overdue": i.overdue,
            }
            for i in items[:MAX_LISTED_ELDERS]
        ],
    }


def elder_detail(item: DueItem) -> dict[str, object]:
    assessment = item.candidate.assessment
    last = assessment.last_in_home_at
    due = assessment.next_in_home_due
    return {
        "category": item.candidate.elder.category,
        "last_in_home_at": None if last is None else last.isoformat(),
        "in_home_due": None if due is None else due.isoformat(),
    }
