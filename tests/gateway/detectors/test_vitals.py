"""``abnormal_vitals`` on hand-built wearable readings (Asia/Shanghai time)."""

from __future__ import annotations

import numpy as np

from gateway.detectors import (
    DeviceInfo,
    Homes,
    QuietHistory,
    apply,
    build,
    build_homes,
    codes,
    describe,
    new_state,
    sweep,
)
from gateway.detectors.baseline import Baseline
from gateway.detectors.state import HouseholdState
from gateway.detectors.sweep import cleared
from tests.gateway.detectors.timeline import OFFSET, at, events, profiles

WEAR = (
    DeviceInfo("band", "KP-1", "wearable", None, 7200),
    DeviceInfo("pir", "KP-1", "motion_sensor", "living_room", 7200),
    DeviceInfo("pat-2", "KP-2", "sos_button", "bedroom", 3600),
)


def _setup() -> tuple[Homes, HouseholdState, Baseline]:
    h = build_homes(["KP-1", "KP-2"], WEAR)
    return h, new_state(h), build(QuietHistory(OFFSET, h.n), h, profiles())


def _pulse(h: Homes, state: HouseholdState, readings: list[tuple[str, float]]) -> None:
    apply(h, state, events(h, [(t, "band", "heart_rate", v) for t, v in readings]))


def _vitals(h: Homes, state: HouseholdState, baseline: Baseline, local: str) -> list[int]:
    found = sweep(h, state, baseline, at(local), OFFSET)
    mine = (found.slot == 0) & (found.kind == codes.ABNORMAL_VITALS)
    return [int(r) for r in found.reason[mine]]


def test_a_low_pulse_sustained_ten_minutes_across_midnight_at_a_months_end() -> None:
    h, state, baseline = _setup()
    _pulse(h, state, [("2026-07-31 23:50", 62), ("2026-07-31 23:55", 36)])
    assert _vitals(h, state, baseline, "2026-07-31 23:59") == []  # one reading: not yet
    _pulse(h, state, [("2026-08-01 00:05", 35)])
    assert _vitals(h, state, baseline, "2026-08-01 00:05") == [7]  # findings.PULSE_LOW
    found = sweep(h, state, baseline, at("2026-08-01 00:06"), OFFSET)
    row = int(np.flatnonzero(found.kind == codes.ABNORMAL_VITALS)[0])
    zh, en = describe(
        codes.ABNORMAL_VITALS,
        int(found.reason[row]),
        float(found.since[row]),
        float(found.usual_s[row]),
        at("2026-08-01 00:06"),
        OFFSET,
        limit=float(found.limit_s[row]),
    )
    assert en == "heart rate 35 bpm, below 40 for 11 min since 23:55 (normal range 40–130)"
    assert zh.startswith("心率 35 次/分，自 23:55 起 11 分鐘 持續低於 40")


def test_one_spike_is_not_an_alarm_and_a_band_taken_off_is_not_either() -> None:
    h, state, baseline = _setup()
    _pulse(
        h, state, [("2026-07-06 10:00", 70), ("2026-07-06 10:10", 142), ("2026-07-06 10:20", 88)]
    )
    assert _vitals(h, state, baseline, "2026-07-06 10:25") == []
    # High, then the band comes off: no readings, no alarm, however long.
    _pulse(h, state, [("2026-07-06 11:00", 150)])
    assert _vitals(h, state, baseline, "2026-07-06 13:00") == []
    # Back on the wrist 2 h later, high again: a new run, judged on its own readings.
    _pulse(h, state, [("2026-07-06 13:00", 149)])
    assert _vitals(h, state, baseline, "2026-07-06 13:05") == []
    _pulse(h, state, [("2026-07-06 13:10", 151)])
    assert _vitals(h, state, baseline, "2026-07-06 13:10") == [6]  # findings.PULSE_HIGH


def test_implausible_readings_are_no_readings_and_a_reading_in_range_clears_it() -> None:
    h, state, baseline = _setup()
    _pulse(
        h, state, [("2026-07-06 10:00", 135), ("2026-07-06 10:05", 0), ("2026-07-06 10:10", 138)]
    )
    assert _vitals(h, state, baseline, "2026-07-06 10:11") == [6]
    opened = np.full((h.n, len(codes.ALERT_TYPES)), np.nan)
    assert not cleared(h, state, opened)[0, codes.ABNORMAL_VITALS]
    _pulse(h, state, [("2026-07-06 10:20", 96)])
    assert cleared(h, state, opened)[0, codes.ABNORMAL_VITALS]
    assert _vitals(h, state, baseline, "2026-07-06 10:21") == []
    # From high straight to low is a new run, not ten minutes of "out of range".
    _pulse(h, state, [("2026-07-06 11:00", 140), ("2026-07-06 11:10", 30)])
    assert _vitals(h, state, baseline, "2026-07-06 11:12") == []
