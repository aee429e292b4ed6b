"""The edge rules every adapter shares, and the bound on what they remember."""

from __future__ import annotations

import orjson

from devices.adapters import edges, zigbee2mqtt
from devices.adapters.base import AdapterSettings, Memory
from tests.devices.adapters.feed import T0, Feed, kinds

SETTINGS = AdapterSettings(power_on_w=5.0, power_change_share=0.25)


def test_power_the_first_value_says_where_the_appliance_stands() -> None:
    memory = Memory()
    assert edges.power(memory, "a", "power", 95.0, SETTINGS)
    assert not edges.power(memory, "a", "power", 95.0, SETTINGS)


def test_power_crossing_the_threshold_either_way_is_news_even_by_a_little() -> None:
    memory = Memory()
    edges.power(memory, "a", "power", 4.0, SETTINGS)
    assert edges.power(memory, "a", "power", 6.0, SETTINGS)
    assert edges.power(memory, "a", "power", 4.5, SETTINGS)


def test_power_below_the_threshold_is_never_news_however_it_moves() -> None:
    memory = Memory()
    edges.power(memory, "a", "power", 0.5, SETTINGS)
    assert not any(edges.power(memory, "a", "power", w, SETTINGS) for w in (2.0, 0.1, 4.9, 1.0))


def test_power_drift_is_measured_from_the_last_value_stored_not_the_last_seen() -> None:
    memory = Memory()
    edges.power(memory, "a", "power", 100.0, SETTINGS)
    # +20 %, then +20 % of that: each within the share of its predecessor, not of 100 W.
    assert not edges.power(memory, "a", "power", 120.0, SETTINGS)
    assert edges.power(memory, "a", "power", 144.0, SETTINGS)


def test_level_is_news_on_a_step_or_after_the_refresh() -> None:
    memory = Memory()
    assert edges.level(memory, "a", "t", 20.0, step=0.5, now=T0)
    assert not edges.level(memory, "a", "t", 20.4, step=0.5, now=T0 + 60)
    assert edges.level(memory, "a", "t", 20.5, step=0.5, now=T0 + 120)
    assert edges.level(memory, "a", "t", 20.5, step=0.5, now=T0 + 120 + edges.LEVEL_REFRESH_S)


def test_memory_stays_within_its_bound_under_a_flood_of_made_up_addresses() -> None:
    f = Feed(zigbee2mqtt.ADAPTER, memory=Memory(max_entries=50))
    for n in range(2_000):
        f.send(f"zigbee2mqtt/fake_{n}", orjson.dumps({"contact": n % 2 == 0, "occupancy": True}))
    assert len(f.memory) == 50


def test_a_forgotten_state_costs_one_repeated_event_never_a_lost_one() -> None:
    f = Feed(zigbee2mqtt.ADAPTER, memory=Memory(max_entries=4))
    opened = orjson.dumps({"contact": False})
    assert kinds(f.send("zigbee2mqtt/door", opened)) == [("door", "door", 1)]
    for n in range(10):  # other devices push the door's state out of memory
        f.send(f"zigbee2mqtt/other_{n}", orjson.dumps({"contact": True}))
    assert kinds(f.send("zigbee2mqtt/door", opened, after_s=1)) == [("door", "door", 1)]
    closed = orjson.dumps({"contact": True})
    assert kinds(f.send("zigbee2mqtt/door", closed, after_s=1)) == [("door", "door", 0)]
