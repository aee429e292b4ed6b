"""Tasmota: plugs' watts as edges, climate sensors, LWT, STATE's signal, and refusals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pytest

from devices.adapters import tasmota
from devices.adapters.base import AdapterSettings, Availability
from devices.adapters.edges import HEARTBEAT_EVERY_S
from tests.devices.adapters.feed import Feed, kinds, readings, refusals

TV = "flat12-tv"


def feed(**settings: float) -> Feed:
    return Feed(tasmota.ADAPTER, AdapterSettings(**settings))  # type: ignore[arg-type]


def watts(
    f: Feed, topic: str, power: object, after_s: float = 60.0
) -> list[tuple[str, str, object]]:
    payload = orjson.dumps({"Time": "2026-11-29T20:00:00", "ENERGY": {"Power": power}})
    return kinds(f.send(f"tele/{topic}/SENSOR", payload, after_s))


def test_filters_are_the_tele_messages_read() -> None:
    assert tasmota.ADAPTER.filters(AdapterSettings()) == [
        "tele/+/SENSOR",
        "tele/+/LWT",
        "tele/+/STATE",
    ]


def test_a_tv_at_a_steady_95_w_is_one_power_event() -> None:
    f = feed()
    assert kinds(f.play("tv_on")) == [(TV, "power", 95.0)]
    assert kinds(f.play("tv_steady", after_s=300)) == []
    for draw in (93, 96, 99, 94, 95):
        assert watts(f, TV, draw) == []


def test_a_kettle_boiling_once_is_two_power_events() -> None:
    f = feed(power_on_w=5.0)
    assert watts(f, "kettle", 0) == [("kettle", "power", 0.0)]  # where it stands
    assert watts(f, "kettle", 0.4) == []  # standby noise
    assert watts(f, "kettle", 2000) == [("kettle", "power", 2000.0)]
    assert watts(f, "kettle", 1980) == []
    assert watts(f, "kettle", 0) == [("kettle", "power", 0.0)]


def test_a_change_beyond_the_share_is_news_and_within_it_is_not() -> None:
    f = feed(power_change_share=0.25)
    watts(f, "heater", 800)
    assert watts(f, "heater", 950) == []
    assert watts(f, "heater", 1600) == [("heater", "power", 1600.0)]
    assert watts(f, "heater", 1000) == [("heater", "power", 1000.0)]


def test_each_channel_of_a_multi_channel_meter_is_its_own_address() -> None:
    f = feed()
    assert kinds(f.play("dual")) == [
        ("flat12-dual", "power", 0.0),
        ("flat12-dual/2", "power", 1850.0),
    ]


def test_a_climate_sensor_is_temperature_and_humidity_at_its_own_address() -> None:
    f = feed()
    out = f.play("th16")
    assert kinds(out) == [
        ("flat12-th16/AM2301", "temperature", 18.4),
        ("flat12-th16/AM2301", "humidity", 71.2),
    ]
    # SetOption52 1: the time has an offset, so it is the events' time.
    at = datetime(2026, 11, 29, 6, tzinfo=timezone(timedelta(hours=8))).timestamp()
    assert {r.ts for r in readings(out)} == {at}


def test_fahrenheit_is_converted_and_a_time_without_offset_is_not_used() -> None:
    out = feed().play("th16_fahrenheit")
    assert kinds(out) == [("flat12-th16/DS18B20", "temperature", 20.0)]
    assert readings(out)[0].ts is None


def test_lwt_is_the_whole_nodes_availability() -> None:
    f = feed()
    assert f.play("lwt_online") == [Availability(TV, online=True, whole_node=True)]
    assert f.play("lwt_offline") == [Availability(TV, online=False, whole_node=True)]
    assert refusals(f.send(f"tele/{TV}/LWT", b"Maybe")) != []


def test_state_is_a_paced_heartbeat_with_the_signal_in_dbm_not_the_quality_percent() -> None:
    f = feed()
    (beat,) = readings(f.play("state"))
    assert (beat.address, beat.kind, beat.rssi) == (TV, "heartbeat", -61.0)
    assert readings(f.play("state", after_s=60)) == []
    assert len(readings(f.play("state", after_s=HEARTBEAT_EVERY_S))) == 1


def test_the_relay_state_and_other_messages_are_not_events() -> None:
    f = feed()
    assert f.play("relay") == []
    assert f.send(f"tele/{TV}/INFO1", b'{"Info1": {}}') == []


@pytest.mark.parametrize(
    ("power", "words"),
    [("95", "ENERGY.Power"), (-5, "ENERGY.Power"), (1e9, "ENERGY.Power"), ([1] * 9, "channels")],
)
def test_unusable_power_is_refused_naming_the_field(power: object, words: str) -> None:
    f = feed()
    payload = orjson.dumps({"ENERGY": {"Power": power}})
    found = refusals(f.send(f"tele/{TV}/SENSOR", payload))
    assert found
    assert all(words in r.reason for r in found)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("tele/plug", b"{}"),
        ("cmnd/plug/POWER", b"ON"),
        ("tele/plug/SENSOR/extra", b"{}"),
        (f"tele/{TV}/SENSOR", b"{not json"),
        (f"tele/{TV}/SENSOR", b"[]"),
    ],
)
def test_unknown_topics_and_malformed_payloads_are_refused(topic: str, payload: bytes) -> None:
    out = feed().send(topic, payload)
    (refused,) = refusals(out)
    assert out == [refused]
    assert refused.reason
