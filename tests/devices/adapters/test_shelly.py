"""Shelly Gen2+: switch power as edges by status or notification, H&T climate, online."""

from __future__ import annotations

import orjson
import pytest

from devices.adapters import shelly
from devices.adapters.base import AdapterSettings, Availability
from tests.devices.adapters.feed import Feed, kinds, readings, refusals

PLUG = "shellyplusplugs-e86bea0f1c2d"
HT = "shellyplusht-08b61fcb7f3c"


def feed() -> Feed:
    return Feed(shelly.ADAPTER)


def test_filters() -> None:
    assert shelly.ADAPTER.filters(AdapterSettings()) == ["+/online", "+/status/+", "+/events/rpc"]


def test_a_kettle_by_status_updates_is_an_event_per_edge_not_per_report() -> None:
    f = feed()
    assert kinds(f.play("kettle_off")) == [(PLUG, "power", 0.0)]
    assert kinds(f.play("kettle_off", after_s=60)) == []
    assert kinds(f.play("kettle_on", after_s=60)) == [(PLUG, "power", 1987.6)]
    assert kinds(f.play("kettle_on", after_s=60)) == []
    off = f.play("notify_off", after_s=60)
    assert kinds(off) == [(PLUG, "power", 0.0)]
    assert readings(off)[0].ts == pytest.approx(1_795_939_321.52)


def test_the_same_change_by_status_and_by_notification_is_stored_once() -> None:
    f = feed()
    f.play("kettle_on")
    assert kinds(f.play("notify_off", after_s=1)) == [(PLUG, "power", 0.0)]
    assert kinds(f.play("kettle_off", after_s=1)) == []


def test_the_relays_own_temperature_is_not_a_room_temperature() -> None:
    out = feed().play("kettle_on")
    assert {r.kind for r in readings(out)} == {"power"}


def test_a_second_channel_is_addressed_by_its_component() -> None:
    assert kinds(feed().play("second_channel")) == [
        ("shellyplus2pm-c4d8d5561a2b/switch:1", "power", 42.5)
    ]


def test_an_h_and_t_gives_temperature_humidity_and_its_battery() -> None:
    f = feed()
    assert kinds(f.play("ht_temperature")) == [(HT, "temperature", 19.6)]
    assert kinds(f.play("ht_humidity")) == [(HT, "humidity", 58.1)]
    (beat,) = readings(f.play("ht_power", after_s=300))
    assert (beat.address, beat.kind, beat.battery) == (HT, "heartbeat", 74.0)


def test_notify_event_is_no_status() -> None:
    assert feed().play("notify_event") == []


def test_online_is_the_whole_devices_availability() -> None:
    f = feed()
    assert f.play("online") == [Availability(PLUG, online=True, whole_node=True)]
    assert f.play("offline") == [Availability(PLUG, online=False, whole_node=True)]


def test_a_reversed_meter_reads_its_draw() -> None:
    payload = orjson.dumps({"id": 0, "apower": -120.5})
    assert kinds(feed().send(f"{PLUG}/status/switch:0", payload)) == [(PLUG, "power", 120.5)]


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (f"{PLUG}/status/switch:0", b'{"id": 0, "apower": "lots"}'),
        (f"{PLUG}/status/switch:0", b"{"),
        (f"{PLUG}/online", b"maybe"),
        (f"{PLUG}/events/rpc", b'{"method": "NotifyStatus", "params": 3}'),
        (f"{PLUG}/rpc", b"{}"),
        ("/status/switch:0", b"{}"),
    ],
)
def test_malformed_messages_are_refused(topic: str, payload: bytes) -> None:
    assert refusals(feed().send(topic, payload))


def test_components_tanfang_does_not_read_are_heard_as_nothing() -> None:
    f = feed()
    assert f.send(f"{PLUG}/status/sys", b'{"uptime": 100}') == []
    assert f.send(f"{PLUG}/status/wifi:0", b'{"rssi": -60}') == []
