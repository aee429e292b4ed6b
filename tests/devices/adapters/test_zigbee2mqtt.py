"""zigbee2mqtt: each field's mapping, edges instead of levels, buttons, availability,
aliases, and what is refused or ignored."""

from __future__ import annotations

import orjson
import pytest

from devices.adapters import zigbee2mqtt
from devices.adapters.base import AdapterSettings, Alias, Availability, Reading
from devices.adapters.edges import HEARTBEAT_EVERY_S, LEVEL_REFRESH_S
from tests.devices.adapters.feed import (
    T0,
    Feed,
    aliases,
    kinds,
    readings,
    refusals,
)

DOOR = "flat12/entrance_door"
MOTION = "flat12/hall_motion"


def feed() -> Feed:
    return Feed(zigbee2mqtt.ADAPTER)


def test_it_subscribes_to_everything_under_the_base_topic() -> None:
    settings = AdapterSettings(zigbee2mqtt_base_topic="z2m/flat12/")
    assert zigbee2mqtt.ADAPTER.filters(settings) == ["z2m/flat12/#"]
    assert zigbee2mqtt.ADAPTER.kind == "zigbee2mqtt"


def test_a_door_contact_is_a_door_event_on_each_change_only() -> None:
    f = feed()
    opened = f.play("door_open")
    assert kinds(opened) == [(DOOR, "door", 1)]
    (event,) = readings(opened)
    assert event.battery == 91
    assert event.extra == {"linkquality": 102}
    assert event.ts == pytest.approx(T0 + 15 * 60 + 2.12)
    assert event.rssi is None  # LQI is not dBm
    assert kinds(f.play("door_open", after_s=5)) == []
    assert kinds(f.play("door_closed", after_s=30)) == [(DOOR, "door", 0)]
    assert kinds(f.play("door_closed", after_s=30)) == []


def test_a_report_that_changes_nothing_is_a_paced_heartbeat_carrying_the_battery() -> None:
    f = feed()
    f.play("door_closed")
    assert readings(f.play("door_checkin", after_s=10)) == []
    (beat,) = readings(f.play("door_checkin", after_s=HEARTBEAT_EVERY_S))
    assert (beat.address, beat.kind, beat.value, beat.battery) == (DOOR, "heartbeat", None, 90)
    assert readings(f.play("door_checkin", after_s=1)) == []


def test_occupancy_repeated_every_minute_is_one_motion_per_refresh_period() -> None:
    f = Feed(zigbee2mqtt.ADAPTER, AdapterSettings(motion_refresh_s=900))
    seen = [kinds(f.play("motion_on", after_s=60)) for _ in range(30)]
    # Half an hour of detections every minute: at 0 and 15 minutes, nothing in between.
    assert [minute for minute, found in enumerate(seen) if found] == [0, 15]
    assert seen[0] == [(MOTION, "motion", 1)]


def test_motion_after_the_room_was_empty_is_a_new_episode_at_once() -> None:
    f = feed()
    assert kinds(f.play("motion_on")) == [(MOTION, "motion", 1)]
    assert kinds(f.play("motion_off", after_s=90)) == []
    assert kinds(f.play("motion_on", after_s=30)) == [(MOTION, "motion", 1)]


def test_mmwave_presence_is_motion_like_occupancy() -> None:
    f = feed()
    assert kinds(f.play("radar_present")) == [("flat12/living_radar", "motion", 1)]
    assert kinds(f.play("radar_present", after_s=60)) == []


def test_water_leak_smoke_gas_and_tamper_are_flags_on_change() -> None:
    f = feed()
    assert kinds(f.play("leak_wet")) == [
        ("flat12/kitchen_leak", "leak", 1),
        ("flat12/kitchen_leak", "tamper", 0),
    ]
    assert kinds(f.play("leak_wet", after_s=60)) == []
    assert kinds(f.play("leak_dry", after_s=60)) == [("flat12/kitchen_leak", "leak", 0)]
    assert kinds(f.play("smoke_alarm")) == [
        ("flat12/smoke", "smoke", 1),
        ("flat12/smoke", "tamper", 0),
    ]
    assert kinds(f.play("smoke_alarm", after_s=10)) == []
    assert kinds(f.play("smoke_clear", after_s=600)) == [("flat12/smoke", "smoke", 0)]
    assert kinds(f.play("gas_alarm")) == [("flat12/gas", "gas", 1), ("flat12/gas", "tamper", 0)]


def test_temperature_and_humidity_on_a_step_or_a_refresh() -> None:
    f = feed()
    name = "flat12/bedroom_climate"
    assert kinds(f.play("climate")) == [(name, "temperature", 23.41), (name, "humidity", 61.27)]
    topic = f"zigbee2mqtt/{name}"
    small = orjson.dumps({"temperature": 23.6, "humidity": 62.0})
    assert kinds(f.send(topic, small, after_s=60)) == []
    step = orjson.dumps({"temperature": 24.0, "humidity": 62.0})
    assert kinds(f.send(topic, step, after_s=60)) == [(name, "temperature", 24.0)]
    assert kinds(f.send(topic, step, after_s=LEVEL_REFRESH_S)) == [
        (name, "temperature", 24.0),
        (name, "humidity", 62.0),
    ]


def test_a_sensor_error_code_is_refused_and_the_rest_of_the_message_kept() -> None:
    f = feed()
    payload = orjson.dumps({"temperature": -3276.8, "contact": False, "battery": 55})
    out = f.send("zigbee2mqtt/flat12/odd", payload)
    assert kinds(out) == [("flat12/odd", "door", 1)]
    (refused,) = refusals(out)
    assert refused.address == "flat12/odd"
    assert "temperature" in refused.reason


def test_a_fall_radar_reports_a_fall_once_confirmed() -> None:
    f = feed()
    topic = "zigbee2mqtt/flat12/bath_radar"
    for status in ("none", "maybe_fall"):
        assert kinds(f.send(topic, orjson.dumps({"fall_down_status": status}), after_s=1)) == []
    fell = f.send(topic, orjson.dumps({"fall_down_status": "fall"}), after_s=1)
    assert kinds(fell) == [("flat12/bath_radar", "fall", 1)]
    assert kinds(f.send(topic, orjson.dumps({"fall_down_status": "fall"}), after_s=1)) == []
    assert kinds(f.send(topic, orjson.dumps({"fall": True}), after_s=1)) == []


def test_an_emergency_action_is_an_sos_at_every_press_never_deduplicated() -> None:
    f = feed()
    presses = [kinds(f.play("pendant_press", after_s=1)) for _ in range(3)]
    assert presses == [[("flat12/pendant", "sos", None)]] * 3


def test_a_generic_button_checks_in_on_a_press_and_calls_for_help_when_held() -> None:
    f = feed()
    assert kinds(f.play("fine_single")) == [("flat12/fine_button", "checkin", None)]
    assert kinds(f.play("fine_single", after_s=1)) == [("flat12/fine_button", "checkin", None)]
    assert kinds(f.play("fine_hold", after_s=5)) == [("flat12/fine_button", "sos", None)]
    assert kinds(f.play("fine_release", after_s=2)) == []
    assert refusals(f.play("fine_release")) == []


def test_every_press_of_a_device_described_as_an_emergency_button_is_an_sos() -> None:
    f = feed()
    assert kinds(f.play("red_button_press")) == [("flat12/red_button", "checkin", None)]
    f.play("bridge_devices")
    assert kinds(f.play("red_button_press", after_s=1)) == [("flat12/red_button", "sos", None)]
    assert kinds(f.play("fine_single", after_s=1)) == [("flat12/fine_button", "checkin", None)]


def test_an_action_that_is_no_press_is_refused_by_name() -> None:
    out = feed().send("zigbee2mqtt/lamp_remote", orjson.dumps({"action": "brightness_move_up"}))
    (refused,) = refusals(out)
    assert "brightness_move_up" in refused.reason
    assert refused.address == "lamp_remote"


def test_bridge_devices_gives_each_device_its_ieee_alias_but_not_the_coordinator() -> None:
    out = feed().play("bridge_devices")
    assert aliases(out) == [
        Alias("0x00158d0001a2b3c4", "flat12/entrance_door"),
        Alias("0x000d6f0012061ee7", "flat12/red_button"),
        Alias("0xa4c1380000000105", "flat12/pendant"),
        Alias("0x54ef4410004f1a2b", "flat12/fine_button"),
    ]
    assert refusals(out) == []


def test_bridge_devices_entries_without_ids_are_counted_in_one_refusal() -> None:
    payload = orjson.dumps([{"ieee_address": "0x1", "friendly_name": "a"}, {"type": "Router"}, 7])
    out = feed().send("zigbee2mqtt/bridge/devices", payload)
    assert aliases(out) == [Alias("0x1", "a")]
    (refused,) = refusals(out)
    assert "2 entries" in refused.reason


@pytest.mark.parametrize(
    ("name", "address", "online"),
    [
        ("availability_online", DOOR, True),
        ("availability_offline_legacy", "flat12/smoke", False),
    ],
)
def test_availability_in_the_json_and_the_legacy_form(
    name: str, address: str, online: bool
) -> None:
    f = feed()
    assert f.play(name) == [Availability(address, online)]
    # Retained: delivered again on every subscription, and again the same answer.
    assert f.play(name) == [Availability(address, online)]


def test_bridge_topics_and_commands_to_devices_are_ignored_without_a_dead_letter() -> None:
    f = feed()
    for name in ("bridge_state", "bridge_logging", "set_command"):
        assert f.play(name) == []
    assert f.send("zigbee2mqtt/flat12/plug/set/state", b"ON") == []
    assert f.send("zigbee2mqtt/flat12/plug/get", b'{"state": ""}') == []


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b"true", "JSON object"),
        (b"\xff\xfe", "not JSON"),
        (b'{"occupancy": true' + b" " * 300_000 + b"}", "limit"),
    ],
)
def test_a_malformed_device_message_is_refused_with_its_reason(payload: bytes, words: str) -> None:
    out = feed().send("zigbee2mqtt/flat12/odd", payload)
    (refused,) = refusals(out)
    assert out == [refused]
    assert words in refused.reason
    assert refused.address == "flat12/odd"


def test_wrong_types_are_ignored_field_by_field() -> None:
    payload = orjson.dumps(
        {
            "contact": "false",
            "occupancy": 1,
            "smoke": None,
            "battery": 250,
            "last_seen": "yesterday",
        }
    )
    out = feed().send("zigbee2mqtt/flat12/odd", payload)
    (beat,) = readings(out)
    assert (beat.kind, beat.battery, beat.ts) == ("heartbeat", None, None)


def test_last_seen_as_epoch_milliseconds_is_the_events_time() -> None:
    payload = orjson.dumps({"contact": True, "last_seen": 1_795_939_200_123})
    (event,) = readings(feed().send("zigbee2mqtt/flat12/door2", payload))
    assert event.ts == pytest.approx(1_795_939_200.123)


def test_a_topic_outside_the_base_topic_is_refused() -> None:
    out = feed().send("tele/plug/SENSOR", b"{}")
    (refused,) = refusals(out)
    assert out == [refused]
    assert "base topic" in refused.reason


def test_event_objects_are_contract_events() -> None:
    (event,) = readings(feed().play("door_open"))
    assert isinstance(event, Reading)
    assert event.event() == {
        "kind": "door",
        "value": 1,
        "ts": event.ts,
        "battery": 91,
        "linkquality": 102,
    }


def test_a_homes_own_bridge_under_the_base_topic_scopes_its_names() -> None:
    f = feed()
    bridge = [{"ieee_address": "0x00158d0001a2b3c4", "friendly_name": "entrance_door"}]
    out = f.send("zigbee2mqtt/flat12/bridge/devices", orjson.dumps(bridge))
    assert out == [Alias("0x00158d0001a2b3c4", "flat12/entrance_door")]
    assert f.send("zigbee2mqtt/flat12/bridge/state", b'{"state": "online"}') == []
    assert f.send("zigbee2mqtt/flat12/bridge/logging", b'{"level": "info"}') == []
    opened = f.send("zigbee2mqtt/flat12/entrance_door", orjson.dumps({"contact": False}))
    assert kinds(opened) == [("flat12/entrance_door", "door", 1)]
