"""The storm rules (pure): which towns' offline devices are grouped, when an incident is
over, and the rule's own bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerting.storms import (
    MAX_LISTED_DEVICES,
    StormRule,
    incident_summary,
    is_over,
    listed,
    storm_towns,
)

RULE = StormRule(devices=20, window_s=60)


def test_twenty_devices_of_one_town_within_the_window_are_a_storm_nineteen_are_not() -> None:
    assert storm_towns({"赤坎鎮": 20}, {}, (), RULE) == {"赤坎鎮"}
    assert storm_towns({"赤坎鎮": 19}, {}, (), RULE) == set()


def test_the_alerts_opened_within_the_window_before_count_toward_the_storm() -> None:
    assert storm_towns({"赤坎鎮": 5}, {"赤坎鎮": 15}, (), RULE) == {"赤坎鎮"}
    # Another town's outage does not make this town's a storm.
    assert storm_towns({"赤坎鎮": 5}, {"水口鎮": 150}, (), RULE) == set()


def test_while_its_incident_stands_a_towns_new_offline_devices_are_grouped() -> None:
    assert storm_towns({"赤坎鎮": 1}, {}, ("赤坎鎮",), RULE) == {"赤坎鎮"}


@given(devices=st.integers(min_value=0, max_value=10_000), data=st.data())
def test_an_incident_is_over_exactly_when_nine_in_ten_of_its_devices_are_back(
    devices: int, data: st.DataObject
) -> None:
    offline = data.draw(st.integers(min_value=0, max_value=devices))
    assert is_over(devices, offline) == (10 * (devices - offline) >= 9 * devices)


def test_two_hundred_devices_with_twenty_still_offline_is_over_with_twenty_one_not() -> None:
    assert is_over(200, 20)
    assert not is_over(200, 21)


def test_the_summary_counts_the_devices_and_the_listing_is_capped() -> None:
    assert incident_summary("赤坎鎮", 200) == "設備集中離線 — 赤坎鎮 200 台"
    assert len(listed([f"d{i}" for i in range(500)])) == MAX_LISTED_DEVICES


@pytest.mark.parametrize(("devices", "window_s"), [(1, 60.0), (20, 0.0)])
def test_a_rule_of_one_device_or_no_window_is_refused(devices: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="storm"):
        StormRule(devices, window_s)
