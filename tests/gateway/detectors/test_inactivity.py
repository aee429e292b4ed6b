from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from gateway.detectors import (
    DeviceInfo,
    QuietHistory,
    apply,
    build,
    build_homes,
    codes,
    new_state,
    sweep,
)
from gateway.detectors.baseline import (
    ELSEWHERE,
    FACTOR,
    IN_BEDROOM,
    MARGIN_S,
    MAX_LIMIT_S,
    MIN_LIMIT_S,
    MIN_PASSING_LIMIT_S,
    PASSING,
    WAKE_MARGIN_S,
    Baseline,
    observe,
)
from gateway.detectors.findings import LATE_WAKE, QUIET, describe
from gateway.detectors.hearing import mark_offline, sensed
from gateway.detectors.homes import Homes
from gateway.detectors.profiles import COLD_DAY_S, COLD_NIGHT_S
from gateway.detectors.state import HouseholdState
from gateway.detectors.sweep import cleared
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


def _inactive(
    h: Homes,
    state: HouseholdState,
    baseline: Baseline,
    local: str,
    suppressed: np.ndarray | None = None,
) -> bool:
    found = sweep(h, state, baseline, at(local), OFFSET, suppressed)
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


def test_a_declared_absence_ends_the_alerts_it_silences_and_only_those() -> None:
    # The on-call phones the family: she is at her daughter's. Declared, the open
    # inactivity alert is over by the next sweep; the home's own alerts are not.
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [("2026-03-10 09:42", "pir-bed", "motion", 1)]))
    assert _inactive(h, state, baseline, "2026-03-10 12:43")
    state.hot_since[0] = at("2026-03-10 12:00")  # and the flat is hot
    opened = np.full((h.n, len(codes.ALERT_TYPES)), at("2026-03-10 12:43"))
    away = np.ones(h.n, dtype=bool)
    assert not cleared(h, state, opened)[0, codes.INACTIVITY]
    over = cleared(h, state, opened, baseline, ~away)[0]
    assert not over[codes.INACTIVITY]
    over = cleared(h, state, opened, baseline, away)[0]
    assert [codes.ALERT_TYPES[k] for k in np.flatnonzero(over)] == [
        "inactivity",
        "night_wandering",
        "abnormal_vitals",
        "activity_drop",
        "device_offline",  # no sensor of the home is stuck
    ]
    assert not _inactive(h, state, baseline, "2026-03-10 12:45", away)


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
    mark_offline(h, state, np.array([h.device_ids.position("pir-bath")]))
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
        apply(h, state, beats.take(np.flatnonzero(beats.device != h.device_ids.position("door"))))
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


def test_a_stuck_motion_sensor_is_not_proof_of_life_nor_the_persons_silence() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [("2026-03-10 08:50", "pir-bed", "motion", 1)]))
    # The bathroom's sensor fires every minute from 09:00 until 14:59.
    start = at("2026-03-10 09:00")
    apply(h, state, motions(h, "pir-bath", start + 60 * np.arange(0, 6 * 60, 1.0)))
    # Neither its firings nor its first 90 min that had counted: the last life before it.
    assert state.life[0] == at("2026-03-10 08:50")
    for beats in beats_through(h, "2026-03-10 10:00", "2026-03-10 18:00"):
        apply(h, state, beats)
    # While it fires the bathroom cannot be seen: that is the device's alert, not the
    # elder's; the silence counts from its last firing, against the day's 3 h.
    found = sweep(h, state, baseline, at("2026-03-10 14:55"), OFFSET)
    assert found.kind[found.slot == 0].tolist() == [codes.DEVICE_OFFLINE]
    assert not _inactive(h, state, baseline, "2026-03-10 17:55")
    assert _inactive(h, state, baseline, "2026-03-10 18:01")


def _learned(days: int = 20) -> tuple[Homes, HouseholdState, Baseline]:
    """``days`` days from 2026-03-01: up at 07:00, about every 20 min in the bathroom (the
    kit's sensor outside the bedroom) until 20:40, to bed at 21:00 (the bedroom sensor),
    asleep until 07:00; observed every 5 min as the gateway does."""
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    day0 = at("2026-03-01 00:00")
    for d in range(days):
        base = day0 + d * 86_400
        bath = base + np.arange(7 * 3600, 20 * 3600 + 2401, 1200.0)
        bed = np.array([base + 21 * 3600])
        for now in np.arange(base, base + 86_400, 300.0):
            for device, t in (("pir-bath", bath), ("pir-bed", bed)):
                part = t[(t > now - 300) & (t <= now)]
                if len(part):
                    apply(h, state, motions(h, device, part))
            apply(h, state, beats_at(h, now))
            observe(history, h, state, now, sensed(h, state, now, 2))
    return h, state, build(history, h, profiles())


def test_baseline_learns_how_long_a_quiet_lasts_by_where_and_when_it_began() -> None:
    _, _, baseline = _learned()
    assert baseline.days[0] >= 14
    noon = 12  # the hour 12:00–13:00
    # Begun in the bathroom (passing through) at noon: 20 min at most (sampled every 5 min:
    # 15); the learned limit, above the passing rooms' floor.
    assert baseline.usual_s[0, PASSING, noon] == pytest.approx(15 * 60, rel=0.02)  # a byte
    assert baseline.limit_s[0, PASSING, noon] == pytest.approx(
        FACTOR * baseline.usual_s[0, PASSING, noon] + MARGIN_S, rel=1e-6
    )
    assert baseline.limit_s[0, PASSING, noon] > MIN_PASSING_LIMIT_S
    # Nothing begins in a chair (no living-room sensor): all places' history, and the
    # floor of a place where one may sit still for hours.
    assert baseline.usual_s[0, ELSEWHERE, noon] == baseline.usual_s[0, PASSING, noon]
    assert baseline.limit_s[0, ELSEWHERE, noon] == MIN_LIMIT_S
    # Begun in the bedroom at 21:00: the night, 10 h (9 h 55 min sampled), across midnight;
    # the limit is capped.
    assert baseline.usual_s[0, IN_BEDROOM, 21] == pytest.approx((9 * 60 + 55) * 60, rel=0.02)
    assert baseline.limit_s[0, IN_BEDROOM, 21] == MAX_LIMIT_S
    # An hour of which a place has no history (elsewhere at midnight: nothing begins
    # there from 21:00 to 07:00) takes all places' history.
    assert baseline.usual_s[0, ELSEWHERE, 0] == baseline.usual_s[0, IN_BEDROOM, 0]
    assert baseline.usual_s[0, ELSEWHERE, 0] == pytest.approx((9 * 60 + 55) * 60, rel=0.02)
    assert FACTOR * baseline.usual_s[0, ELSEWHERE, noon] + MARGIN_S < MIN_LIMIT_S


def test_an_evening_quiet_begun_in_the_bathroom_is_judged_by_the_evening() -> None:
    h, state, baseline = _learned()
    day = "2026-03-21"
    up = at(f"{day} 07:00") + np.arange(0, 11 * 3600 + 2401, 1200.0)  # 07:00 to 18:40
    apply(h, state, motions(h, "pir-bath", up))
    for beats in beats_through(h, f"{day} 08:00", f"{day} 23:00"):
        apply(h, state, beats)
    # Last seen at 18:40 in the bathroom: a quiet that began there then usually ends within
    # 20 min (15 sampled); by 21:40 the home is usually asleep, but this quiet did not begin
    # as sleep, and not in a chair: 2.5 × 15 min + 45 min = 82.5 min, so 20:02:30.
    assert baseline.limit_s[0, PASSING, 18] == pytest.approx(FACTOR * 15 * 60 + MARGIN_S, rel=0.02)
    assert not _inactive(h, state, baseline, f"{day} 19:55")
    assert _inactive(h, state, baseline, f"{day} 20:05")
    # Gone to bed at 21:00 instead: the night's limit, not inactive by 05:00.
    h2, state2, baseline2 = _learned()
    apply(h2, state2, events(h2, [(f"{day} 21:00", "pir-bed", "motion", 1)]))
    for beats in beats_through(h2, f"{day} 22:00", "2026-03-22 05:00"):
        apply(h2, state2, beats)
    assert not _inactive(h2, state2, baseline2, "2026-03-22 05:00")


def test_the_sentence_says_what_was_seen_against_what_is_usual() -> None:
    zh, en = describe(
        codes.INACTIVITY, QUIET, at("2026-03-25 09:42"), 55 * 60, at("2026-03-25 12:52"), OFFSET
    )
    assert en == (
        "no activity for 3 h 10 min since 09:42; "
        "a quiet beginning at this hour usually ends within 55 min"
    )
    assert zh == "自 09:42 起 3 小時 10 分鐘 無活動；此時段開始的靜止通常 55 分鐘內結束"


def test_a_night_trip_to_the_toilet_is_not_getting_up() -> None:
    h = homes()
    state = new_state(h)
    trip: list[tuple[str, str, str, float]] = [
        ("2026-03-10 05:00", "mat", "bed", 0),
        ("2026-03-10 05:01", "pir-bath", "motion", 1),
        ("2026-03-10 05:05", "pir-bath", "motion", 1),
        ("2026-03-10 05:07", "pir-bed", "motion", 1),
        ("2026-03-10 05:08", "mat", "bed", 1),
    ]
    apply(h, state, events(h, trip))
    assert state.up[0] == at("2026-03-10 05:05")  # outside the bedroom, but not up for the day
    assert np.isnan(state.risen[0])
    # Up at 06:30: the bathroom, then about outside the bedroom with pauses under 30 min.
    morning = [(f"2026-03-10 06:{m:02d}", "pir-bath", "motion", 1.0) for m in (30, 38, 44, 47)]
    apply(h, state, events(h, morning))
    assert state.risen[0] == at("2026-03-10 06:47")  # 17 min outside the bedroom


def test_not_up_by_the_usual_hour_after_a_night_trip_is_a_late_wake_up() -> None:
    h, cold = _cold()
    midnight = at("2026-03-10 00:00")
    usual = 6.5 * 3600  # up by 06:30 on every day of the history
    baseline = replace(
        cold,
        wake_usual_s=np.full((h.n, 2), usual),
        wake_limit_s=np.full((h.n, 2), usual + WAKE_MARGIN_S),
    )
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 04:00"))
    trip: list[tuple[str, str, str, float]] = [
        ("2026-03-10 04:40", "pir-bath", "motion", 1),
        ("2026-03-10 04:44", "pir-bed", "motion", 1),
        ("2026-03-10 07:00", "pir-bed", "motion", 1),  # awake in bed, not up
    ]
    apply(h, state, events(h, trip))
    apply(h, state, heartbeats(h, "2026-03-10 07:30"))
    limit = midnight + usual + WAKE_MARGIN_S
    assert limit == at("2026-03-10 07:30")
    assert not _inactive(h, state, baseline, "2026-03-10 07:29")  # not yet late
    found = sweep(h, state, baseline, limit + 60, OFFSET)
    assert found.reason[found.slot == 0].tolist() == [LATE_WAKE]
    # Up at 07:50 and about for a quarter of an hour: not late any more.
    morning = [(f"2026-03-10 07:{m:02d}", "pir-bath", "motion", 1.0) for m in (50, 58)]
    morning += [("2026-03-10 08:06", "pir-bath", "motion", 1.0)]
    apply(h, state, events(h, morning))
    assert not _inactive(h, state, baseline, "2026-03-10 08:10")


def test_without_a_bedroom_sensor_any_life_after_four_is_up_for_the_day() -> None:
    # A contacts-only home cannot tell a trip to the toilet from getting up: the first
    # life of the morning is up, as before (a late wake-up there needs a quiet morning).
    h = build_homes(
        ["KP-9"],
        [
            DeviceInfo("water-9", "KP-9", "water_meter", "kitchen", 7200),
            DeviceInfo("door-9", "KP-9", "door_sensor", "entrance", 7200),
        ],
    )
    state = new_state(h)
    apply(h, state, events(h, [("2026-03-10 04:40", "water-9", "water", 5.0)]))
    assert not h.bedroom_sensor[0]
    assert np.isnan(state.risen[0])
    assert state.up_for_day(h)[0] == at("2026-03-10 04:40")


def test_back_home_in_the_afternoon_is_not_a_late_wake_up() -> None:
    h, cold = _cold()
    usual = 6.5 * 3600
    baseline = replace(
        cold,
        wake_usual_s=np.full((h.n, 2), usual),
        wake_limit_s=np.full((h.n, 2), usual + WAKE_MARGIN_S),
    )
    state = new_state(h)
    # Away for the night (out at 17:00 the day before), back at 15:57, then dozing in bed.
    back: list[tuple[str, str, str, float]] = [
        ("2026-03-09 16:59", "pir-bath", "motion", 1),
        ("2026-03-09 17:00", "door", "door", 1),
        ("2026-03-10 15:57", "door", "door", 1),
        ("2026-03-10 15:59", "pir-bed", "motion", 1),
    ]
    apply(h, state, events(h, back))
    apply(h, state, heartbeats(h, "2026-03-10 16:00"))
    assert not state.away()[0]
    assert np.isnan(state.risen[0]) or state.risen[0] < at("2026-03-10 04:00")
    assert not _inactive(h, state, baseline, "2026-03-10 16:30")


def test_the_toilet_on_coming_home_is_a_new_stay_not_a_dwell_since_before_going_out() -> None:
    h, baseline = _cold()
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 09:00"))
    apply(h, state, events(h, [
        ("2026-03-10 09:30", "pir-bath", "motion", 1),  # the toilet before going out
        ("2026-03-10 09:42", "door", "door", 1),
        ("2026-03-10 11:00", "door", "door", 1),  # back
        ("2026-03-10 11:02", "pir-bath", "motion", 1),  # and the toilet again
    ]))  # fmt: skip
    assert state.room_since[0] == at("2026-03-10 11:02")
    apply(h, state, heartbeats(h, "2026-03-10 11:05"))
    assert not _inactive(h, state, baseline, "2026-03-10 11:10")
