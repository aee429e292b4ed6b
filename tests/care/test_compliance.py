"""The plan's minimum visit frequency for A/B/C, month edges in the local time zone, and
heightened-watch weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from care.compliance import Assessment, VisitFact, WatchPeriod, assess, watch_windows
from care.month import Month, as_of, local_day

TZ = ZoneInfo("Asia/Shanghai")
MAY = Month(2026, 5)
LATER = date(2026, 7, 1)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def judge(
    category: str | None,
    visits: list[VisitFact],
    *,
    month: Month = MAY,
    watch: list[WatchPeriod] | None = None,
    today: date = LATER,
) -> Assessment:
    in_home = [
        v.visited_at
        for v in visits
        if v.method == "in_home" and not v.refused and v.visited_at < month.bounds(TZ)[1]
    ]
    return assess(
        category,
        month,
        visits,
        last_in_home_at=max(in_home, default=None),
        watch=watch or [],
        tz=TZ,
        today=today,
    )


def visit(day: date, method: str = "phone", *, refused: bool = False, hour: int = 10) -> VisitFact:
    return VisitFact(at(day, hour), method, refused)


# --- class A ---------------------------------------------------------------------------


def test_class_a_needs_an_in_home_visit_in_the_month() -> None:
    got = judge("A", [visit(date(2026, 5, 3), "in_home")])
    assert (got.monthly_visit_met, got.in_home_met, got.compliant) == (True, True, True)
    assert got.next_in_home_due == date(2026, 6, 30)


def test_class_a_with_only_phone_and_online_visits_is_not_compliant() -> None:
    got = judge("A", [visit(date(2026, 5, 3)), visit(date(2026, 5, 9), "online")])
    assert got.monthly_visit_met
    assert not got.in_home_met
    assert got.compliant is False
    assert got.next_in_home_due == date(2026, 5, 31)


def test_class_a_in_home_visit_of_last_month_does_not_count_for_this_month() -> None:
    got = judge("A", [visit(date(2026, 4, 30), "in_home")])
    assert not got.in_home_met
    assert got.next_in_home_due == date(2026, 5, 31)
    assert not got.in_home_overdue


def test_class_a_in_home_overdue_since_an_earlier_month() -> None:
    got = judge("A", [visit(date(2026, 3, 10), "in_home")])
    assert got.in_home_overdue
    assert got.next_in_home_due == date(2026, 4, 30)


# --- class B: 6 months -----------------------------------------------------------------


def test_class_b_needs_a_monthly_visit_and_in_home_within_6_months() -> None:
    visits = [visit(date(2025, 12, 1), "in_home"), visit(date(2026, 5, 20), "video")]
    got = judge("B", visits)
    assert (got.monthly_visit_met, got.in_home_met, got.compliant) == (True, True, True)
    assert got.next_in_home_due == date(2026, 6, 30)


def test_class_b_in_home_visit_6_calendar_months_before_has_run_out() -> None:
    # May counts back to December (May and the 5 months before it); November is too old.
    visits = [visit(date(2025, 11, 30), "in_home", hour=23), visit(date(2026, 5, 20))]
    got = judge("B", visits)
    assert not got.in_home_met
    assert got.compliant is False
    assert got.next_in_home_due == date(2026, 5, 31)
    assert not got.in_home_overdue


def test_class_b_without_a_visit_this_month_is_not_compliant_even_with_in_home_earlier() -> None:
    got = judge("B", [visit(date(2026, 4, 2), "in_home")])
    assert got.in_home_met
    assert not got.monthly_visit_met
    assert got.compliant is False


def test_class_b_online_check_in_counts_as_the_monthly_visit() -> None:
    visits = [visit(date(2026, 2, 2), "in_home"), visit(date(2026, 5, 1), "online")]
    assert judge("B", visits).compliant is True


# --- class C: 12 months ----------------------------------------------------------------


def test_class_c_in_home_within_12_months_means_the_month_and_the_11_before() -> None:
    ok = judge("C", [visit(date(2025, 6, 1), "in_home", hour=0), visit(date(2026, 5, 2))])
    assert ok.in_home_met
    assert ok.compliant
    assert ok.next_in_home_due == date(2026, 6, 30)
    late = judge("C", [visit(date(2025, 5, 31), "in_home", hour=23), visit(date(2026, 5, 2))])
    assert not late.in_home_met


def test_class_c_never_visited_at_home_is_due_this_month() -> None:
    got = judge("C", [visit(date(2026, 5, 2))])
    assert not got.in_home_met
    assert got.next_in_home_due == date(2026, 5, 31)


# --- refusals, unclassified ------------------------------------------------------------


def test_refused_visit_is_not_a_visit_made() -> None:
    got = judge("A", [visit(date(2026, 5, 3), "in_home", refused=True)])
    assert not got.monthly_visit_met
    assert got.compliant is False


def test_person_without_a_class_has_no_requirement() -> None:
    got = judge(None, [visit(date(2026, 5, 3))])
    assert got.monthly_visit_met
    assert got.compliant is None
    assert got.plan_minimum_met is None
    assert got.next_in_home_due is None


# --- month edges in the local time zone ------------------------------------------------


def test_visit_at_23_30_local_on_the_last_day_belongs_to_that_month() -> None:
    late = datetime(2026, 4, 30, 23, 30, tzinfo=TZ)  # 15:30 UTC
    got = judge("C", [VisitFact(late, "in_home")], month=Month(2026, 4))
    assert got.monthly_visit_met
    assert got.in_home_met
    assert not judge("C", [VisitFact(late, "in_home")]).monthly_visit_met


def test_visit_at_00_30_local_on_the_first_is_in_the_new_month_though_utc_says_otherwise() -> None:
    early = datetime(2026, 4, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 May in Shanghai
    got = judge("A", [VisitFact(early, "in_home")])
    assert got.in_home_met
    assert got.compliant


def test_february_of_a_leap_year_ends_on_the_29th() -> None:
    feb = Month(2028, 2)
    got = judge("A", [visit(date(2028, 2, 29), "in_home", hour=23)], month=feb, today=LATER)
    assert got.compliant
    assert feb.last_day == date(2028, 2, 29)
    assert Month(2026, 2).last_day == date(2026, 2, 28)


def test_class_b_span_crosses_a_year_end() -> None:
    visits = [visit(date(2025, 8, 15), "in_home"), visit(date(2026, 1, 5))]
    assert judge("B", visits, month=Month(2026, 1)).compliant
    # August covers August to January; February's visit is due by its end, March is late.
    feb = judge("B", [visit(date(2025, 8, 15), "in_home")], month=Month(2026, 2))
    assert not feb.in_home_met
    assert not feb.in_home_overdue
    assert feb.next_in_home_due == date(2026, 2, 28)
    march = judge("B", [visit(date(2025, 8, 15), "in_home")], month=Month(2026, 3))
    assert march.in_home_overdue
    assert march.next_in_home_due == date(2026, 2, 28)


# --- heightened watch ------------------------------------------------------------------

TYPHOON = WatchPeriod(7, "赤坎鎮", date(2026, 5, 10), date(2026, 5, 19), "台風", 2)


def test_watch_period_is_cut_into_weeks_with_a_share_for_the_short_last_week() -> None:
    windows = watch_windows(TYPHOON, MAY, LATER, [date(2026, 5, 11), date(2026, 5, 12)])
    assert [(w.start, w.end, w.required, w.made) for w in windows] == [
        (date(2026, 5, 10), date(2026, 5, 16), 2, 2),
        (date(2026, 5, 17), date(2026, 5, 19), 1, 0),
    ]


def test_watch_weeks_not_yet_begun_are_not_required() -> None:
    windows = watch_windows(TYPHOON, MAY, date(2026, 5, 12), [])
    assert len(windows) == 1


def test_watch_requirement_makes_an_otherwise_compliant_elder_non_compliant() -> None:
    visits = [visit(date(2026, 5, 11), "in_home")]
    got = judge("A", visits, watch=[TYPHOON])
    assert got.plan_minimum_met is True
    assert got.compliant is False
    more = [*visits, visit(date(2026, 5, 13)), visit(date(2026, 5, 18), "online")]
    assert judge("A", more, watch=[TYPHOON]).compliant is True


def test_watch_week_straddling_the_month_counts_visits_on_both_sides() -> None:
    festival = WatchPeriod(8, None, date(2026, 4, 28), date(2026, 5, 4), "勞動節", 2)
    visits = [visit(date(2026, 4, 29)), visit(date(2026, 5, 2), "in_home")]
    got = judge("A", visits, watch=[festival])
    assert got.watch[0].made == 2
    assert got.compliant


# --- months and days -------------------------------------------------------------------


def test_month_parses_and_prints_yyyy_mm() -> None:
    assert Month.parse("2026-05") == MAY
    assert str(MAY.shift(-5)) == "2025-12"
    assert MAY.shift(8) == Month(2027, 1)


def test_month_is_judged_on_its_last_day_or_today_while_running() -> None:
    assert as_of(MAY, date(2026, 7, 1)) == date(2026, 5, 31)
    assert as_of(MAY, date(2026, 5, 12)) == date(2026, 5, 12)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_every_instant_falls_in_exactly_one_local_month(moment: datetime) -> None:
    month = Month.of(local_day(moment, TZ))
    start, end = month.bounds(TZ)
    assert start <= moment < end
    assert month.shift(1).bounds(TZ)[0] == end
    assert end - start <= timedelta(days=31)


@given(
    category=st.sampled_from(["A", "B", "C", None]),
    offsets=st.lists(st.integers(min_value=-400, max_value=60), max_size=8),
    methods=st.lists(st.sampled_from(["in_home", "phone", "video", "online"]), max_size=8),
)
def test_compliance_is_total_and_compliant_implies_a_visit_this_month(
    category: str | None, offsets: list[int], methods: list[str]
) -> None:
    visits = [
        visit(date(2026, 5, 15) + timedelta(days=o), m)
        for o, m in zip(offsets, methods, strict=False)
    ]
    got = judge(category, visits)
    if got.compliant:
        assert got.monthly_visit_met
        assert got.in_home_met
