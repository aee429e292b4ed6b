from __future__ import annotations

import math

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, new_state, sweep
from gateway.detectors.baseline import (
    COLD_DAY_S,
    COLD_NIGHT_S,
    FACTOR,
    MARGIN_S,
    MAX_LIMIT_S,
    MIN_LIMIT_S,
    WIDEN_BINS,
    Baseline,
    observe,
)
from gateway.detectors.findings import QUIET, describe
from gateway.detectors.homes import Homes
from gateway.detectors.state import STUCK_AFTER_S, HouseholdState, mark_offline, sensed
from tests.gateway.detectors.timeline import (
    OFFSET,
    at,
    beats_at,
    beats_through,
    events,
    heartbeats,
    homes,
    motions,
    profiles,
)


def _cold(alone: bool = True, override_min: float | None = None) -> tuple[Homes, Baseline]:
    h = homes()
    return h, build(QuietHistory(OFFSET, h.n), h, profiles(alone=alone, override_min=override_min))


def _inactive(h: Homes, state: HouseholdState, baseline: Baseline, local: str) -> bool:
    found = sweep(h, state, baseline, at(local), OFFSET)
    return bool(((found.slot == 0) & (found.kind == codes.INACTIVITY)).any())


def test_quiet_home_is_inactive_only_after_the_cold_start_limit() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
    limit_h = COLD_DAY_S / 3600
    assert not _inactive(h, state, baseline, "2026-03-10 09:42")
    assert limit_h == 3.0
    assert not _inactive(h, state, baseline, "2026-03-10 12:41")
    assert _inactive(h, state, baseline, "2026-03-10 12:43")


def test_quiet_across_midnight_at_the_end_of_a_month_uses_the_night_limit() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-01-31 22:00"))
    apply(h, state, events(h, [("2026-01-31 22:30", "mat", "bed", 1)]))
    for beats in beats_through(h, "2026-01-31 23:00", "2026-02-01 05:00"):
        apply(h, state, beats)
    # Asleep since 22:30: inside the night limit (11 h) until 09:30, and a late sleeper's
    # 9 h at 07:30 is not judged by the day's 3 h (the cold-start day starts at 10:00).
    assert COLD_NIGHT_S == 11 * 3600
    assert COLD_DAY_S == 3 * 3600
    assert not _inactive(h, state, baseline, "2026-02-01 05:30")
    for beats in beats_through(h, "2026-02-01 06:00", "2026-02-01 09:00"):
        apply(h, state, beats)
    assert not _inactive(h, state, baseline, "2026-02-01 07:30")
    assert not _inactive(h, state, baseline, "2026-02-01 09:25")
    assert _inactive(h, state, baseline, "2026-02-01 09:35")


def test_no_inactivity_while_the_elder_is_out() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(
        h,
        state,
        events(
            h,
            [
                ("2026-03-10 09:40", "pir-bed", "motion", 1),
                ("2026-03-10 09:42", "door", "door", 1),
                ("2026-03-10 09:42:20", "door", "door", 0),
            ],
        ),
    )
    apply(h, state, heartbeats(h, "2026-03-10 13:00"))
    assert state.away()[0]
    assert not _inactive(h, state, baseline, "2026-03-10 14:00")
    # Back: the door, then life inside means home, and the silence counts from there.
    apply(
        h,
        state,
        events(
            h,
            [
                ("2026-03-10 15:00", "door", "door", 1),
                ("2026-03-10 15:05", "pir-bed", "motion", 1),
            ],
        ),
    )
    assert not state.away()[0]
    apply(h, state, heartbeats(h, "2026-03-10 17:00"))
    assert _inactive(h, state, baseline, "2026-03-10 18:10")


def test_a_button_press_outside_is_not_presence() -> None:
    h = homes()
    state = new_state(h)
    apply(
        h,
        state,
        events(
            h,
            [
                ("2026-03-10 09:40", "pir-bed", "motion", 1),
                ("2026-03-10 09:42", "door", "door", 1),
                ("2026-03-10 09:50", "pat", "checkin", math.nan),
            ],
        ),
    )
    assert state.away()[0]


def test_no_inactivity_while_a_sensor_of_the_home_is_offline() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
    mark_offline(h, state, np.array([h.device_index()["pir-bath"]]))
    assert not sensed(h, state, at("2026-03-10 13:00"), 2)[0]
    assert not _inactive(h, state, baseline, "2026-03-10 13:00")
    # Heartbeats stop: silence of the devices, not of the person.
    state.will[:] = False
    assert not _inactive(h, state, baseline, "2026-03-10 16:00")


def test_silence_during_a_sensor_outage_counts_only_from_its_end() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
    # The door contact says nothing from 09:45 to 17:00 (its outage); the others beat on.
    for hour in range(10, 18):
        beats = heartbeats(h, f"2026-03-10 {hour:02d}:00")
        apply(h, state, beats.take(np.flatnonzero(beats.device != h.device_index()["door"])))
    assert not _inactive(h, state, baseline, "2026-03-10 16:59")  # offline: not judged
    apply(h, state, events(h, [("2026-03-10 17:00", "door", "heartbeat", math.nan)]))
    assert not _inactive(h, state, baseline, "2026-03-10 17:01")
    assert not _inactive(h, state, baseline, "2026-03-10 19:59")
    apply(h, state, heartbeats(h, "2026-03-10 19:00"))
    assert _inactive(h, state, baseline, "2026-03-10 20:01")


def test_an_elder_with_no_activity_device_is_never_inactive() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    assert not h.monitored[1]
    found = sweep(h, state, baseline, at("2026-03-10 20:00"), OFFSET)
    assert 1 not in found.slot.tolist()


def test_someone_living_with_others_is_watched_only_with_a_threshold_of_their_own() -> None:
    for override, expected in ((None, False), (60.0, True)):
        h, baseline = _cold(alone=False, override_min=override)
        state = new_state(h)
        apply(h, state, heartbeats(h, "2026-03-10 09:00"))
        apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
        assert _inactive(h, state, baseline, "2026-03-10 10:50") is expected


def test_a_skewed_clock_never_moves_the_home_back_nor_forward() -> None:
    h = homes()
    state = new_state(h)
    apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
    skewed = events(h, [("2026-03-01 09:50", "pir-bed", "motion", 1)])
    apply(h, state, skewed)  # trusted but older: the clock stays
    assert state.clock[0] == at("2026-03-10 09:42")
    late = events(h, [("2026-03-20 00:00", "pir-bed", "motion", 1)], untrusted=True)
    late = late.__class__(
        late.device,
        late.kind,
        late.value,
        late.ts,
        np.array([at("2026-03-10 09:50")]),
        late.untrusted,
    )
    apply(h, state, late)  # flagged: its receive time counts, not its ts
    assert state.clock[0] == at("2026-03-10 09:50")
    assert state.life[0] == at("2026-03-10 09:50")


def test_a_stuck_motion_sensor_is_not_proof_of_life() -> None:
    h, baseline = _cold()
    state = new_state(h)
    start = at("2026-03-10 09:00")
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    minutes = np.arange(0, 6 * 60, 1.0)
    index = h.device_index()["pir-bath"]
    from gateway.detectors import EventBatch

    t = start + 60 * minutes
    apply(
        h,
        state,
        EventBatch(
            np.full(len(t), index),
            np.full(len(t), codes.MOTION),
            np.ones(len(t)),
            t,
            t,
            np.zeros(len(t), dtype=bool),
        ),
    )
    assert state.life[0] == start + STUCK_AFTER_S  # the last firing that still counted
    for beats in beats_through(h, "2026-03-10 10:00", "2026-03-10 14:00"):
        apply(h, state, beats)
    assert _inactive(h, state, baseline, "2026-03-10 14:55")


def test_baseline_learned_from_history_sets_the_limit_and_the_sentence() -> None:
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    day0 = at("2026-03-01 00:00")
    # 20 days: active every 20 min from 07:00 to 21:00, asleep in between.
    for d in range(20):
        t = day0 + d * 86_400 + np.arange(7 * 3600, 21 * 3600, 1200.0)
        for now in np.arange(day0 + d * 86_400, day0 + (d + 1) * 86_400, 300.0):
            part = t[(t > now - 300) & (t <= now)]
            if len(part):
                apply(h, state, motions(h, "pir-bed", part))
            apply(h, state, beats_at(h, now))
            observe(history, h, state, now, sensed(h, state, now, 2))
    baseline = build(history, h, profiles())
    assert baseline.days[0] >= 14
    # Noon: usually 20 min at most, × 1.5 + 30 min, below the floor; 03:00: the night.
    assert baseline.limit_s[0, 0, 24] == MIN_LIMIT_S
    assert baseline.usual_s[0, 0, 24] == 15 * 60  # sampled every 5 min: 20 → 15
    # 03:00 takes the neighbouring half-hours up to 06:30: asleep since 20:40, 9 h 45 min
    # at 06:25; the limit is capped.
    assert WIDEN_BINS == 6
    assert baseline.usual_s[0, 0, 6] == (9 * 60 + 45) * 60
    expected = min(FACTOR * baseline.usual_s[0, 0, 6] + MARGIN_S, MAX_LIMIT_S)
    assert baseline.limit_s[0, 0, 6] == expected
    zh, en = describe(
        codes.INACTIVITY, QUIET, at("2026-03-25 09:42"), 55 * 60, at("2026-03-25 12:52"), OFFSET
    )
    assert en == (
        "no activity for 3 h 10 min since 09:42; "
        "on weekdays at this hour the home is usually quiet for at most 55 min"
    )
    assert zh == "自 09:42 起 3 小時 10 分鐘 無活動；平日此時段通常最長靜止 55 分鐘"
