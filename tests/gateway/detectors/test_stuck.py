"""A stuck motion sensor: not proof of life, and a finding about the device."""

from __future__ import annotations

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, new_state, sweep
from gateway.detectors.sweep import cleared
from tests.gateway.detectors.timeline import OFFSET, at, beats_at, homes, motions, profiles


def test_a_sensor_firing_every_minute_for_hours_is_a_device_finding_not_life() -> None:
    h = homes()
    baseline = build(QuietHistory(OFFSET, h.n), h, profiles())
    state = new_state(h)
    start = at("2026-06-30 22:30")  # across midnight, at a month's end
    apply(h, state, motions(h, "pir-bath", np.arange(start, start + 3 * 3600, 61.0)))
    apply(h, state, beats_at(h, start + 3 * 3600))
    found = sweep(h, state, baseline, start + 3 * 3600, OFFSET)
    mine = found.kind == codes.DEVICE_OFFLINE
    assert found.slot[mine].tolist() == [0]
    assert found.device is not None
    assert [h.device_ids.name(d) for d in found.device[mine]] == ["pir-bath"]
    assert float(found.since[mine][0]) == start
    # Not life: the home's last life is when the run passed 90 min.
    assert state.life[0] < start + 91 * 60
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
