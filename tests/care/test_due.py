"""The contact person's work list: what each elder still needs, most urgent first."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from care.compliance import VisitFact, WatchPeriod
from care.due import TownElder, candidates, due_list, needs_of
from care.month import Month

TZ = ZoneInfo("Asia/Shanghai")
MAY = Month(2026, 5)
TODAY = date(2026, 5, 12)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=TZ)


def elder(
    elder_id: str,
    category: str,
    visits: list[date] | None = None,
    last_in_home: date | None = None,
    *,
    consent: bool = True,
) -> TownElder:
    days = visits or []
    return TownElder(
        elder_id=elder_id,
        town="赤坎鎮",
        category=category,
        visit_consent=consent,
        contact_person="李社工",
        last_visit_at=at(max(days)) if days else None,
        last_visit_method="phone" if days else None,
        last_in_home_at=at(last_in_home) if last_in_home else None,
        near_visits=[VisitFact(at(d), "phone") for d in days],
    )


def work(*elders: TownElder, watch: list[WatchPeriod] | None = None) -> list[str]:
    found = due_list(candidates(elders, MAY, watch or [], TZ, TODAY), TODAY)
    return [item.candidate.elder.elder_id for item in found]


def test_class_a_without_in_home_visit_needs_an_in_home_visit() -> None:
    [item] = due_list(candidates([elder("a", "A", [date(2026, 5, 2)])], MAY, [], TZ, TODAY), TODAY)
    assert [(n.kind, n.by) for n in item.needs] == [("in_home", date(2026, 5, 31))]


def test_class_b_with_in_home_in_span_needs_any_visit() -> None:
    [item] = due_list(
        candidates([elder("b", "B", [], date(2026, 2, 1))], MAY, [], TZ, TODAY), TODAY
    )
    assert [n.kind for n in item.needs] == ["any"]


def test_class_c_whose_12_months_ran_out_needs_an_in_home_visit_only() -> None:
    [item] = due_list(
        candidates([elder("c", "C", [], date(2025, 5, 1))], MAY, [], TZ, TODAY), TODAY
    )
    assert [n.kind for n in item.needs] == ["in_home"]


def test_compliant_elders_are_not_on_the_list() -> None:
    done = elder("b", "B", [date(2026, 5, 3)], date(2026, 3, 1))
    assert work(done) == []


def test_overdue_first_then_class_then_longest_without_visit_and_refusals_last() -> None:
    order = work(
        elder("c-recent", "C", [date(2026, 4, 28)], date(2026, 1, 1)),
        elder("c-never", "C", [], date(2026, 1, 1)),
        elder("a-due", "A", [date(2026, 5, 1)], date(2026, 4, 1)),
        elder("b-overdue", "B", [], date(2025, 10, 1)),
        elder("a-refuses", "A", [], None, consent=False),
    )
    assert order == ["b-overdue", "a-due", "c-never", "c-recent", "a-refuses"]


def test_watch_week_adds_the_visits_still_to_make() -> None:
    typhoon = WatchPeriod(1, None, date(2026, 5, 10), date(2026, 5, 16), "台風", 3)
    e = elder("b", "B", [date(2026, 5, 11)], date(2026, 4, 1))
    [item] = due_list(candidates([e], MAY, [typhoon], TZ, TODAY), TODAY)
    assert [(n.kind, n.count, n.by) for n in item.needs] == [("watch", 2, date(2026, 5, 16))]


def test_watch_period_of_another_town_does_not_apply() -> None:
    other = WatchPeriod(1, "水口鎮", date(2026, 5, 10), date(2026, 5, 16), "台風", 3)
    done = elder("b", "B", [date(2026, 5, 11)], date(2026, 4, 1))
    assert work(done, watch=[other]) == []


def test_needs_of_an_unclassified_person_are_none() -> None:
    [c] = candidates([elder("x", "A")], MAY, [], TZ, TODAY)
    assert needs_of(c.assessment, TODAY)
