"""A stuck motion sensor: not proof of life, and a finding about the device."""

from __future__ import annotations

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, new_state, sweep
from gateway.detectors.sweep import cleared
from tests.gateway.detectors.timeline import OFFSET, at, beats_at, events, homes, motions, profiles


def test_a_sensor_firing_every_minute_for_hours_is_a_device_finding_not_life() -> None:
    h = homes()
    baseline = build(QuietHistory(OFFSET, h.n), h, profiles())
    state = new_state(h)
    start = at("2026-06-30 22:30")  # across midnight, at a month's end
    apply(h, state, motions(h, "pir-bed", np.array([start - 600])))  # last seen in bed
    apply(h, state, motions(h, "pir-bath", np.arange(start, start + 3 * 3600, 61.0)))
    apply(h, state, beats_at(h, start + 3 * 3600))
    found = sweep(h, state, baseline, start + 3 * 3600, OFFSET)
    mine = found.kind == codes.DEVICE_OFFLINE
    assert found.slot[mine].tolist() == [0]
    assert found.device is not None
    assert [h.device_ids.name(d) for d in found.device[mine]] == ["pir-bath"]
    assert float(found.since[mine][0]) == start
    # Not life, nor the run's first 90 min that had counted: the last life is back in bed.
    assert state.life[0] == start - 600
    assert state.quiet_room()[0] == codes.BEDROOM
    opened = np.full((h.n, len(codes.ALERT_TYPES)), np.nan)
    assert not cleared(h, state, opened)[0, codes.DEVICE_OFFLINE]
    # It pauses: the home's clock moves on (a heartbeat) past the gap, and it clears.
    apply(h, state, beats_at(h, start + 3 * 3600 + 600))
    assert cleared(h, state, opened)[0, codes.DEVICE_OFFLINE]
    after = sweep(h, state, baseline, start + 3 * 3600 + 600, OFFSET)
    assert not (after.kind == codes.DEVICE_OFFLINE).any()


def test_someone_moving_about_for_an_hour_is_not_stuck() -> None:
    h = homes()
    baseline = build(QuietHistory(OFFSET, h.n), h, profiles())
    state = new_state(h)
    start = at("2026-07-06 09:00")
    apply(h, state, motions(h, "pir-bed", np.arange(start, start + 3600, 45.0)))
    found = sweep(h, state, baseline, start + 3600, OFFSET)
    assert not (found.kind == codes.DEVICE_OFFLINE).any()


def test_a_sensor_stuck_while_the_elder_is_out_does_not_bring_her_home() -> None:
    h = homes()
    baseline = build(QuietHistory(OFFSET, h.n), h, profiles())
    state = new_state(h)
    apply(h, state, motions(h, "pir-bed", np.array([at("2026-07-24 18:50")])))
    apply(h, state, events(h, [("2026-07-24 18:52", "door", "door", 1)]))
    apply(h, state, events(h, [("2026-07-24 18:52:30", "door", "door", 0)]))
    assert state.gone()[0]
    start = at("2026-07-25 04:06")
    firing = np.arange(start, start + 9 * 3600, 60.0)
    apply(h, state, motions(h, "pir-bath", firing[firing <= start + 3600]))
    assert not state.away()[0]  # for its first 90 min a stuck sensor is someone moving
    for hour in range(1, 9):
        t = start + hour * 3600
        apply(h, state, motions(h, "pir-bath", firing[(firing > t - 3600) & (firing <= t)]))
        apply(h, state, beats_at(h, t))
        if hour >= 2:  # the run has passed 90 min: taken back, she is out again
            assert state.gone()[0]
            assert state.life[0] == at("2026-07-24 18:50")
        found = sweep(h, state, baseline, t, OFFSET)
        assert not ((found.slot == 0) & (found.kind == codes.INACTIVITY)).any(), hour
    assert ((found.slot == 0) & (found.kind == codes.DEVICE_OFFLINE)).any()


def test_what_another_sensor_saw_during_the_run_stays_life() -> None:
    h = homes()
    state = new_state(h)
    start = at("2026-07-06 09:00")
    apply(h, state, motions(h, "pir-bath", np.arange(start, start + 2 * 3600, 60.0)))
    apply(h, state, motions(h, "pir-bed", np.array([start + 1800])))
    apply(h, state, motions(h, "pir-bath", np.arange(start + 2 * 3600, start + 3 * 3600, 60.0)))
    assert state.life[0] == start + 1800
    assert state.quiet_room()[0] == codes.BEDROOM
