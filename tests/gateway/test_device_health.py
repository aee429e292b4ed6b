"""The device-health detector, pure, on an injected clock: missed heartbeats, the Last Will,
battery hysteresis, a device back clears its alert, and a gap of our own blames no one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gateway.device_health import BatteryRule, Findings, HealthState, detect

NOW = 1_000_000.0
NEVER = math.nan


def fleet(
    *,
    last_heard: list[float],
    interval_s: float = 300.0,
    will: list[bool] | None = None,
    battery: list[float] | None = None,
    offline_alert: list[bool] | None = None,
    battery_alert: list[bool] | None = None,
    blind_until: float = 0.0,
) -> HealthState:
    n = len(last_heard)
    return HealthState(
        last_heard=np.array(last_heard, dtype=np.float64),
        interval_s=np.full(n, interval_s),
        will=np.array(will or [False] * n, dtype=np.bool_),
        battery=np.array(battery or [NEVER] * n, dtype=np.float64),
        offline_alert=np.array(offline_alert or [False] * n, dtype=np.bool_),
        battery_alert=np.array(battery_alert or [False] * n, dtype=np.bool_),
        blind_until=blind_until,
    )


def found(findings: Findings) -> dict[str, list[int]]:
    return {
        name: getattr(findings, name).tolist()
        for name in ("went_offline", "back_online", "battery_low", "battery_ok")
        if len(getattr(findings, name))
    }


def test_a_device_silent_for_two_heartbeats_goes_offline_and_one_missed_is_no_fault() -> None:
    state = fleet(last_heard=[NOW - 601, NOW - 599, NOW - 310])
    assert found(detect(state, NOW)) == {"went_offline": [0]}


def test_the_last_will_takes_a_device_offline_at_once() -> None:
    state = fleet(last_heard=[NOW - 1], will=[True])
    assert found(detect(state, NOW)) == {"went_offline": [0]}


def test_an_open_offline_alert_is_not_opened_again_while_the_device_stays_silent() -> None:
    state = fleet(last_heard=[NOW - 3600], offline_alert=[True])
    assert found(detect(state, NOW)) == {}


def test_a_device_heard_again_clears_its_offline_alert() -> None:
    state = fleet(last_heard=[NOW - 5], offline_alert=[True])
    assert found(detect(state, NOW)) == {"back_online": [0]}


def test_a_device_under_its_last_will_is_not_back_until_it_says_online() -> None:
    state = fleet(last_heard=[NOW - 5], will=[True], offline_alert=[True])
    assert found(detect(state, NOW)) == {}


def test_a_device_never_heard_from_is_not_judged_by_silence() -> None:
    assert found(detect(fleet(last_heard=[NEVER]), NOW)) == {}


def test_while_we_are_blind_no_device_goes_offline_for_silence() -> None:
    state = fleet(last_heard=[NOW - 3600, NOW - 1], will=[False, True], blind_until=NOW)
    # Silence is ours; a Last Will the broker delivered is the device's own word.
    assert found(detect(state, NOW)) == {"went_offline": [1]}


def test_after_our_outage_device_clocks_restart_from_its_end() -> None:
    back_at = NOW - 400  # our outage ended 400 s ago; the device was last heard an hour ago
    state = fleet(last_heard=[NOW - 3600], blind_until=back_at)
    assert found(detect(state, NOW)) == {}
    assert found(detect(state, back_at + 601)) == {"went_offline": [0]}


def test_our_outage_does_not_clear_an_offline_alert_of_a_silent_device() -> None:
    state = fleet(last_heard=[NOW - 3600], offline_alert=[True], blind_until=NOW)
    assert found(detect(state, NOW)) == {}


def test_battery_low_opens_below_the_low_level_and_clears_only_above_the_ok_level() -> None:
    levels = [14.0, 15.0, 20.0, 25.0, 26.0]
    none_open = fleet(last_heard=[NOW] * 5, battery=levels)
    assert found(detect(none_open, NOW)) == {"battery_low": [0]}
    all_open = fleet(last_heard=[NOW] * 5, battery=levels, battery_alert=[True] * 5)
    assert found(detect(all_open, NOW)) == {"battery_ok": [4]}


def test_an_unknown_battery_raises_nothing() -> None:
    assert found(detect(fleet(last_heard=[NOW], battery=[NEVER]), NOW)) == {}


def test_battery_levels_come_from_the_rule() -> None:
    state = fleet(last_heard=[NOW, NOW], battery=[25.0, 45.0], battery_alert=[False, True])
    assert found(detect(state, NOW, BatteryRule(low=30, ok=40))) == {
        "battery_low": [0],
        "battery_ok": [1],
    }


def test_a_battery_rule_must_clear_above_where_it_opens() -> None:
    with pytest.raises(ValueError, match="above"):
        BatteryRule(low=25, ok=15)


def test_each_device_counts_in_its_own_heartbeat_interval() -> None:
    state = HealthState(
        last_heard=np.array([NOW - 5.0, NOW - 5.0]),
        interval_s=np.array([2.0, 300.0]),
        will=np.zeros(2, dtype=np.bool_),
        battery=np.full(2, NEVER),
        offline_alert=np.zeros(2, dtype=np.bool_),
        battery_alert=np.zeros(2, dtype=np.bool_),
        blind_until=0.0,
    )
    assert found(detect(state, NOW)) == {"went_offline": [0]}


def test_a_sweep_of_100_000_devices_is_vector_work() -> None:
    n = 100_000
    rng = np.random.default_rng(7)
    state = HealthState(
        last_heard=NOW - rng.uniform(0, 1200, n),
        interval_s=np.full(n, 300.0),
        will=rng.random(n) < 0.01,
        battery=rng.uniform(0, 100, n),
        offline_alert=np.zeros(n, dtype=np.bool_),
        battery_alert=np.zeros(n, dtype=np.bool_),
        blind_until=0.0,
    )
    findings = detect(state, NOW)
    expected = (NOW - state.last_heard > 600) | state.will
    assert findings.went_offline.tolist() == np.flatnonzero(expected).tolist()
