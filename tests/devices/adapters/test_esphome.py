"""ESPHome: binary sensors as BINARY readings (resolved by the bound device's type), numeric
sensors by their names, the node's status, and refusals."""

from __future__ import annotations

import pytest

from devices.adapters import esphome
from devices.adapters.base import BINARY, AdapterSettings, Availability, binary_kind
from tests.devices.adapters.feed import Feed, kinds, readings, refusals

DOOR = "flat12-node/front_door"
BUTTON = "flat12-node/help_button"


def feed() -> Feed:
    return Feed(esphome.ADAPTER)


def test_filters() -> None:
    assert esphome.ADAPTER.filters(AdapterSettings()) == [
        "+/status",
        "+/sensor/+/state",
        "+/binary_sensor/+/state",
    ]


def test_a_binary_sensor_is_a_binary_reading_that_the_device_type_resolves() -> None:
    f = feed()
    (opened,) = readings(f.play("door_on"))
    assert (opened.address, opened.kind, opened.value) == (DOOR, BINARY, True)
    resolved = binary_kind("door_sensor", opened)
    assert resolved is not None
    assert (resolved.kind, resolved.value) == ("door", 1)
    (closed,) = readings(f.play("door_off", after_s=20))
    assert binary_kind("door_sensor", closed) is not None
    assert binary_kind("motion_sensor", closed) is None


def test_off_is_given_only_on_change_and_every_on_always() -> None:
    f = feed()
    assert kinds(f.play("button_off")) == [(BUTTON, BINARY, False)]
    assert kinds(f.play("button_off", after_s=1)) == []
    # An OFF lost between two presses must not swallow the second press (an SOS).
    assert kinds(f.play("button_on", after_s=1)) == [(BUTTON, BINARY, True)]
    assert kinds(f.play("button_on", after_s=1)) == [(BUTTON, BINARY, True)]
    (press,) = readings(f.play("button_on", after_s=1))
    sos = binary_kind("sos_button", press)
    assert sos is not None
    assert (sos.kind, sos.value) == ("sos", None)


def test_numeric_sensors_take_their_kind_from_their_name() -> None:
    f = feed()
    assert kinds(f.play("temperature")) == [
        ("flat12-node/bedroom_temperature", "temperature", 22.84)
    ]
    assert kinds(f.play("humidity")) == [("flat12-node/bedroom_humidity", "humidity", 48.6)]
    assert kinds(f.play("temperature", after_s=60)) == []


def test_the_nodes_battery_and_signal_ride_on_its_readings() -> None:
    f = feed()
    assert f.play("battery") == []
    assert f.play("wifi_signal") == []
    (reading,) = readings(f.play("door_on"))
    assert (reading.battery, reading.rssi) == (64.0, -67.0)


def test_board_diagnostics_are_not_events() -> None:
    f = feed()
    assert f.play("uptime") == []
    assert f.play("internal_temperature") == []


def test_a_failed_read_and_a_name_without_kind_are_refused() -> None:
    f = feed()
    (nan,) = refusals(f.play("temperature_nan"))
    assert nan.address == "flat12-node/bedroom_temperature"
    (unnamed,) = refusals(f.send("flat12-node/sensor/thing_1/state", b"3"))
    assert "thing_1" in unnamed.reason


def test_status_is_the_whole_nodes_availability() -> None:
    f = feed()
    assert f.play("online") == [Availability("flat12-node", online=True, whole_node=True)]
    assert f.play("offline") == [Availability("flat12-node", online=False, whole_node=True)]


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("flat12-node/binary_sensor/front_door/state", b"open"),
        ("flat12-node/switch/relay/state", b"ON"),
        ("flat12-node/sensor/x/command", b"1"),
        ("flat12-node/status", b"sleeping"),
        ("flat12-node/sensor/power/state", b"-3"),
    ],
)
def test_malformed_messages_are_refused(topic: str, payload: bytes) -> None:
    assert refusals(feed().send(topic, payload))
