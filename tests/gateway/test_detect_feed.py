"""The detection leader's feed and memory, pure: an event read twice (the overlap) reaches
the state once, events read out of order leave the state as in order, the state and the
learned history follow each elder to a new slot when the fleet changes, and the rollup's
history replays into a baseline."""

from __future__ import annotations

import numpy as np

from gateway.detect_feed import MAX_OVERLAP_S, OVERLAP_S, Feed
from gateway.detect_history import hours_to_batch, replay
from gateway.detect_repo import EventRow
from gateway.detectors import QuietHistory, apply, build, build_homes, new_state
from gateway.detectors.absences import Absences
from gateway.detectors.baseline import COLD_START_DAYS
from gateway.detectors.remap import remap_history, remap_state
from gateway.detectors.state import HouseholdState
from tests.gateway.detectors.timeline import ELDER, KIT, OFFSET, at, homes, profiles


def row(
    local: str, device: str, kind: str, value: float | None = 1.0, *, late: float = 0.0
) -> EventRow:
    t = at(local)
    return (device, t, None, kind, value, t + late, False)


DAY = [
    row("2026-03-02 07:00", "pir-bed", "motion"),
    row("2026-03-02 07:05", "mat", "bed", 0.0),
    row("2026-03-02 07:30", "pir-bath", "motion"),
    row("2026-03-02 09:00", "door", "door", 1.0),
    row("2026-03-02 11:00", "door", "door", 0.0),
    row("2026-03-02 11:01", "pir-bed", "motion"),
    row("2026-03-02 11:02", "env", "temperature", 36.0),
]


def committed(rows: list[EventRow], feed: Feed) -> list[EventRow]:
    """What the feed's query returns of the rows committed so far: received after its
    ``since``, oldest receipt first."""
    return sorted((r for r in rows if r[5] > feed.since), key=lambda r: r[5])


def folded(*commits: list[EventRow]) -> HouseholdState:
    """Each item: the rows committed by then; the feed reads after each."""
    h = homes()
    state = new_state(h)
    feed = Feed(cursor=at("2026-03-02 06:00"))
    for rows in commits:
        apply(h, state, feed.take(committed(rows, feed), h.device_ids))
    return state


def same(a: HouseholdState, b: HouseholdState) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True)
        for f in HouseholdState.__slots__
    )


# A burst within seconds: four events received at 11:00:00-11:00:03.
BURST = [
    row("2026-03-02 10:59", "pir-bath", "motion", late=60.0),
    row("2026-03-02 10:59", "pir-bed", "motion", late=61.0),
    row("2026-03-02 10:59", "mat", "bed", 1.0, late=62.0),
    row("2026-03-02 10:59", "env", "temperature", 21.0, late=63.0),
]


def test_each_event_reaches_the_state_once_however_often_its_overlap_is_read() -> None:
    once = folded(BURST)
    again = folded(BURST, BURST, BURST)
    assert same(once, again)
    assert once.day_count[0] == 3  # three activity events, each counted once


def test_a_batch_committed_after_a_later_one_is_read_by_the_overlap_once() -> None:
    early_commit = [BURST[0], BURST[2], BURST[3]]  # BURST[1] (received 11:00:01) commits late
    late = folded(early_commit, BURST, BURST)
    assert late.day_count[0] == 3
    assert late.life[0] == folded(BURST).life[0]
    assert late.bed[0] == 1.0


def test_the_cursor_moves_to_the_newest_receipt_and_reads_go_back_the_overlap() -> None:
    h = homes()
    feed = Feed(cursor=at("2026-03-02 06:00"), overlap_s=5.0)
    feed.take(DAY, h.device_ids)
    assert feed.cursor == at("2026-03-02 11:02")
    assert feed.since == at("2026-03-02 11:02") - 5.0


def test_an_event_committed_late_moves_no_time_of_its_home_back() -> None:
    late_motion = row(
        "2026-03-02 10:00", "pir-bed", "motion", late=3720.0
    )  # received 11:02:00, inside the overlap
    state = folded(DAY, [*DAY, late_motion])
    assert state.day_count[0] == folded(DAY).day_count[0] + 1  # it was read
    assert state.life[0] == at("2026-03-02 11:01")
    assert state.clock[0] == at("2026-03-02 11:02")
    assert not state.away()[0]


def test_events_of_unknown_devices_are_left_out() -> None:
    state = folded([row("2026-03-02 07:00", "not-ours", "motion"), *DAY])
    assert same(state, folded(DAY))


def test_state_and_history_follow_each_elder_to_a_new_slot() -> None:
    h = homes()
    state = folded(DAY)
    history = QuietHistory(OFFSET, h.n)
    history.today[0, 1, 3] = 200  # a quiet's code (``quiet_code``)
    grown = build_homes(
        ["KP-0", "KP-2", ELDER],
        [*KIT, KIT[0].__class__("pir-0", "KP-0", "motion_sensor", "bedroom", 7200)],
    )
    moved = remap_state(h, state, grown)
    assert moved.life[2] == state.life[0]
    assert np.isnan(moved.life[0])
    i_old, i_new = h.device_ids.position("pir-bed"), grown.device_ids.position("pir-bed")
    assert moved.last_motion[i_new] == state.last_motion[i_old]
    assert np.isnan(moved.last_motion[grown.device_ids.position("pir-0")])
    learned = remap_history(h, history, grown)
    assert learned.today[2, 1, 3] == 200
    assert learned.today[0, 1, 3] == 0  # none seen


def test_the_rollups_history_replays_into_learned_limits() -> None:
    h = homes()
    rows = []
    for d in range(COLD_START_DAYS + 2):
        for hour in (7, 8, 12, 13, 18, 21):
            start = at("2026-03-01 00:00") + d * 86400 + hour * 3600
            rows.append(("pir-bed", "motion", start, 3, start + 1500))
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    batch = hours_to_batch(rows, h.device_ids)
    assert len(batch) == 2 * len(rows)
    until = at("2026-03-01 00:00") + (COLD_START_DAYS + 2) * 86400
    replay(h, state, history, batch, until)
    assert len(history.days) >= COLD_START_DAYS
    baseline = build(history, h, profiles())
    assert baseline.days[0] >= COLD_START_DAYS
    assert baseline.usual_code[0].any()  # learned, not the cold-start default
    assert state.life[0] == max(r[4] for r in rows)


def test_the_overlap_widens_to_twice_the_lateness_of_a_late_commit_and_shrinks_back() -> None:
    h = homes()
    feed = Feed(cursor=at("2026-03-02 06:00"))
    feed.take(DAY, h.device_ids)
    feed.follow()
    assert feed.overlap_s == OVERLAP_S  # in receipt order: nothing late
    late = row("2026-03-02 11:01", "pir-bath", "motion", late=60.0 - 4.0)  # 4 s behind
    feed.take([late], h.device_ids)
    feed.follow()
    assert feed.overlap_s == 8.0
    assert feed.since == at("2026-03-02 11:02") - 8.0
    feed.follow()
    assert feed.overlap_s == 8.0 * 0.9  # shrinking back by a tenth a turn
    for _ in range(50):
        feed.follow()
    assert feed.overlap_s == OVERLAP_S
    stuck = row("2026-03-02 09:00", "pir-bath", "motion")  # two hours late: bounded
    feed.take([stuck], h.device_ids)
    feed.follow()
    assert feed.overlap_s == MAX_OVERLAP_S


def test_the_replay_learns_nothing_of_an_elder_under_a_declared_absence() -> None:
    """Out through the door every afternoon for the rollup's days; a week of them was a
    declared hospital stay: those days hold no outing, the others do."""
    h = homes()
    rows = []
    day0 = at("2026-03-01 00:00")
    for d in range(COLD_START_DAYS + 2):
        start = day0 + d * 86400
        rows += [
            ("pir-bed", "motion", start + 7 * 3600, 1, start + 7 * 3600 + 60),
            ("door", "door", start + 15 * 3600, 1, start + 15 * 3600 + 60),
            ("pir-bed", "motion", start + 18 * 3600, 1, start + 18 * 3600 + 60),
        ]
    batch = hours_to_batch(rows, h.device_ids)
    until = day0 + (COLD_START_DAYS + 2) * 86400

    def outings(absences: Absences | None) -> list[bool]:
        history = QuietHistory(OFFSET, h.n)
        replay(h, new_state(h), history, batch, until, absences)
        return [bool(not np.isnan(d.out_late[0])) for d in history.days]

    assert all(outings(None))
    stay = Absences.of([(ELDER, day0 + 3 * 86400, day0 + 10 * 86400)], h.elder_ids)
    assert outings(stay) == [not 3 <= d < 10 for d in range(len(outings(None)))]


def test_the_replay_starts_a_day_at_midnight_as_the_live_sweep_does() -> None:
    """Learning steps every 5 minutes from 23:48 would next fall at 00:03; the 00:02 event
    is the new day's, not the old one's."""
    h = homes()
    hour = at("2026-03-01 23:00")
    rows = [
        ("pir-bed", "motion", hour, 1, at("2026-03-01 23:48")),
        ("pir-bath", "motion", hour, 1, at("2026-03-01 23:55")),
        ("pir-bed", "motion", hour + 3600, 1, at("2026-03-02 00:02")),
    ]
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    replay(h, state, history, hours_to_batch(rows, h.device_ids), at("2026-03-02 00:30"))
    assert (state.yesterday_count[0], state.day_count[0]) == (2, 1)
    assert len(history.days) == 1  # the first day closed


def test_a_leader_started_after_midnight_starts_the_new_day_at_its_first_step() -> None:
    """The history ends at the hour before the last (here midnight): the replay has not
    reached the new day, so the live sweep's first step starts it."""
    h = homes()
    rows = [
        ("pir-bed", "motion", at("2026-03-01 22:00"), 1, at("2026-03-01 22:30")),
        ("pir-bath", "motion", at("2026-03-01 23:00"), 1, at("2026-03-01 23:40")),
    ]
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    batch = hours_to_batch(rows, h.device_ids)
    learning = replay(h, state, history, batch, at("2026-03-02 00:00"))
    assert (state.yesterday_count[0], state.day_count[0]) == (0, 2)
    assert learning.step(history, h, state, at("2026-03-02 01:30"), heartbeats=False)
    assert (state.yesterday_count[0], state.day_count[0]) == (2, 0)
    assert len(history.days) == 1
