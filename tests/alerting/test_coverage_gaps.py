"""The roster's interval arithmetic (pure): the gaps are exactly the instants of the window
that no shift covers, in order, merged, each non-empty; a town is covered by every-town
shifts and those naming it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from alerting.coverage import Span, hours, town_gaps, uncovered
from alerting.oncall import OnCallShift

T0 = datetime(2026, 12, 1, tzinfo=UTC)
WINDOW_MIN = 600


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


minutes = st.integers(min_value=-120, max_value=WINDOW_MIN + 120)
spans = st.lists(st.tuples(minutes, minutes), max_size=8)


def as_spans(pairs: list[tuple[int, int]]) -> list[Span]:
    return [Span(at(a), at(b)) for a, b in pairs]


@given(pairs=spans, end=st.integers(min_value=1, max_value=WINDOW_MIN))
def test_each_minute_of_the_window_is_either_covered_or_in_exactly_one_gap(
    pairs: list[tuple[int, int]], end: int
) -> None:
    gaps = uncovered(at(0), at(end), as_spans(pairs))
    for minute in range(end):
        covered = any(a <= minute < b for a, b in pairs)
        inside = [g for g in gaps if g.start <= at(minute) < g.end]
        assert len(inside) == (0 if covered else 1)


@given(pairs=spans, end=st.integers(min_value=1, max_value=WINDOW_MIN))
def test_gaps_are_in_order_inside_the_window_non_empty_and_never_touch(
    pairs: list[tuple[int, int]], end: int
) -> None:
    gaps = uncovered(at(0), at(end), as_spans(pairs))
    assert all(at(0) <= g.start < g.end <= at(end) for g in gaps)
    # Merged: between two gaps lies some covered time.
    assert all(a.end < b.start for a, b in pairwise(gaps))


@given(pairs=spans)
def test_the_order_of_the_shifts_does_not_matter(pairs: list[tuple[int, int]]) -> None:
    forward = uncovered(at(0), at(WINDOW_MIN), as_spans(pairs))
    assert uncovered(at(0), at(WINDOW_MIN), as_spans(pairs[::-1])) == forward


def test_no_shift_leaves_the_whole_window_uncovered() -> None:
    assert uncovered(at(0), at(60), []) == [Span(at(0), at(60))]


def test_overlapping_and_touching_shifts_merge_and_leave_the_holes_between() -> None:
    shifts = as_spans([(0, 30), (20, 50), (50, 60), (90, 100), (200, 300)])
    assert uncovered(at(0), at(240), shifts) == [Span(at(60), at(90)), Span(at(100), at(200))]


def shift(shift_id: int, start: int, end: int, towns: list[str] | None) -> OnCallShift:
    return OnCallShift(
        id=shift_id,
        name="值班員",
        phone="13800138000",
        towns=towns,
        starts_at=at(start),
        ends_at=at(end),
        created_at=T0,
    )


def test_a_town_is_covered_by_every_town_shifts_and_its_own_not_by_another_towns() -> None:
    roster = [
        shift(1, 0, 120, None),
        shift(2, 180, 300, ["赤坎鎮"]),
        shift(3, 120, 180, ["水口鎮"]),
    ]
    assert town_gaps(at(0), at(300), roster, "赤坎鎮") == [Span(at(120), at(180))]
    assert town_gaps(at(0), at(300), roster, "水口鎮") == [Span(at(180), at(300))]


def test_hours_are_given_to_the_hundredth() -> None:
    assert hours(Span(at(0), at(90)).seconds) == 1.5
    assert hours(Span(at(0), at(20)).seconds) == 0.33
