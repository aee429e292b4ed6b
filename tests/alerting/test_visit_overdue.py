"""visit_overdue's rules (pure), on due lists built by care.due: which towns' lists open on
which day, which elders a town's list holds, which elders' in-home visits are overdue."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerting.visit_overdue import (
    MAX_LISTED_ELDERS,
    elder_summary,
    listing,
    lists_open,
    overdue_elders,
    town_lists,
    town_summary,
)
from care.compliance import VisitFact, WatchPeriod
from care.due import DueItem, TownElder, candidates, due_list
from care.month import Month

TZ = ZoneInfo("Asia/Shanghai")
NOV = Month(2026, 11)
TODAY = date(2026, 11, 25)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=TZ)


def elder(
    elder_id: str,
    category: str,
    *,
    visits: tuple[date, ...] = (),
    last_in_home: date | None = None,
    town: str | None = "赤坎鎮",
    consent: bool = True,
) -> TownElder:
    return TownElder(
        elder_id=elder_id,
        town=town,
        category=category,
        visit_consent=consent,
        contact_person="李社工",
        last_visit_at=at(max(visits)) if visits else None,
        last_visit_method="phone" if visits else None,
        last_in_home_at=at(last_in_home) if last_in_home else None,
        near_visits=[VisitFact(at(d), "phone") for d in visits],
    )


def due(*elders: TownElder, watch: list[WatchPeriod] | None = None) -> list[DueItem]:
    return due_list(candidates(elders, NOV, watch or [], TZ, TODAY), TODAY)


def ids(items: list[DueItem]) -> list[str]:
    return [i.candidate.elder.elder_id for i in items]


def test_the_towns_lists_open_on_the_day_and_a_day_past_a_short_month_is_its_last() -> None:
    assert not lists_open(date(2026, 11, 24), 25)
    assert lists_open(date(2026, 11, 25), 25)
    assert lists_open(date(2026, 11, 30), 25)
    assert not lists_open(date(2027, 2, 27), 31)
    assert lists_open(date(2027, 2, 28), 31)


def test_a_towns_list_holds_the_elders_whose_month_is_not_met_most_urgent_first() -> None:
    items = due(
        elder("a-met", "A", last_in_home=date(2026, 11, 3)),
        elder("a-due", "A", last_in_home=date(2026, 10, 3)),
        elder("a-overdue", "A", last_in_home=date(2026, 8, 3)),
        elder("c-met", "C", visits=(date(2026, 11, 2),), last_in_home=date(2026, 6, 1)),
        elder("c-due", "C", last_in_home=date(2026, 6, 1)),
        elder("s-due", "C", last_in_home=date(2026, 6, 1), town="水口鎮"),
    )
    lists = town_lists(items)
    assert {town: ids(found) for town, found in lists.items()} == {
        "赤坎鎮": ["a-overdue", "a-due", "c-due"],
        "水口鎮": ["s-due"],
    }


def test_refusing_elders_and_elders_without_a_town_raise_nothing() -> None:
    items = due(
        elder("refuses", "A", last_in_home=date(2026, 8, 3), consent=False),
        elder("nowhere", "C", town=None),
    )
    assert town_lists(items) == {}
    assert overdue_elders(items) == {}


def test_a_watch_weeks_extra_visits_alone_do_not_put_an_elder_on_the_towns_list() -> None:
    week = WatchPeriod(1, None, date(2026, 11, 23), date(2026, 11, 29), "寒潮", 2)
    items = due(
        elder("c-met", "C", visits=(date(2026, 11, 2),), last_in_home=date(2026, 6, 1)),
        watch=[week],
    )
    assert ids(items) == ["c-met"]  # on the due list for the watch week
    assert town_lists(items) == {}


def test_only_class_a_elders_whose_in_home_visit_is_overdue_from_an_earlier_month() -> None:
    items = due(
        elder("a-due", "A", last_in_home=date(2026, 10, 3)),
        elder("a-overdue", "A", last_in_home=date(2026, 8, 3)),
        elder("b-overdue", "B", last_in_home=date(2026, 1, 3)),
        elder("a-never", "A"),
    )
    overdue = overdue_elders(items)
    assert list(overdue) == ["a-overdue"]
    assert (
        elder_summary(overdue["a-overdue"]) == "探訪逾期 — A 類上門探訪逾期（應於 2026-09-30 前）"
    )


def test_a_listing_names_ids_classes_and_needs_only_and_is_capped() -> None:
    items = due(*(elder(f"c-{n:04d}", "C", last_in_home=date(2026, 6, 1)) for n in range(300)))
    shown = listing(items)
    assert shown["elders"] == 300
    listed = shown["listed"]
    assert isinstance(listed, list)
    assert len(listed) == MAX_LISTED_ELDERS
    assert listed[0] == {"elder_id": "c-0000", "category": "C", "needs": ["any"], "overdue": False}
    assert town_summary("赤坎鎮", 300) == "探訪逾期 — 赤坎鎮 300 位長者本月未達標"
