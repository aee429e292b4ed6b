"""What one foreign message comes to once bound (``gateway.foreign.plan``), and the
topic-filter matching and binding memory of the live path: pure, no broker."""

from __future__ import annotations

from datetime import UTC, datetime

from devices.adapters.base import BINARY, Availability, Output, Reading, Refusal
from devices.adapters.registry import topic_matches
from devices.registry import DeviceEntry
from devices.sources_repo import Bound
from gateway.foreign import Message, plan
from gateway.foreign_ingest import NEGATIVE_TTL_S, SourceBook

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
MESSAGE = Message("esphome", "hall/binary_sensor/door/state", b"ON", AT)


def bound(device_id: str, device_type: str) -> Bound:
    return Bound(device_id, DeviceEntry("KP-1", device_type))


def test_a_binary_reading_takes_its_kind_from_the_bound_devices_type() -> None:
    outputs = [Reading("hall/door", BINARY, True), Reading("hall/pir", BINARY, False)]
    planned = plan(
        MESSAGE,
        outputs,
        {"hall/door": bound("door-1", "door_sensor"), "hall/pir": bound("pir-1", "motion_sensor")},
        {},
    )
    # ON of a door sensor: open. OFF of a motion sensor: nothing (motion has no "off").
    assert [(e.device_id, e.kind, e.value) for e in planned.events["door-1"].events] == [
        ("door-1", "door", 1.0)
    ]
    assert "pir-1" not in planned.events
    assert planned.letters == []
    assert planned.events["door-1"].events[0].extra == {"source": "esphome"}


def test_a_whole_nodes_availability_reaches_every_device_under_it() -> None:
    under = {"hall": [bound("door-1", "door_sensor"), bound("pir-1", "motion_sensor")]}
    planned = plan(MESSAGE, [Availability("hall", online=False, whole_node=True)], {}, under)
    assert sorted((s.device_id, s.online) for s in planned.statuses) == [
        ("door-1", False),
        ("pir-1", False),
    ]


def test_unbound_addresses_and_refusals_are_letters_that_keep_the_source() -> None:
    outputs: list[Output] = [
        Reading("hall/door", BINARY, True),
        Reading("hall/door", BINARY, False),
        Refusal("state is neither ON nor OFF", "hall/window"),
        Availability("cellar", online=True),
    ]
    planned = plan(MESSAGE, outputs, {}, {})
    assert [(d.reason, d.source_kind, d.source_address, d.detail) for d in planned.letters] == [
        ("source_refused", "esphome", "hall/window", "state is neither ON nor OFF"),
        ("unbound_source", "esphome", "hall/door", "no device is bound to esphome hall/door"),
        ("unbound_source", "esphome", "cellar", "no device is bound to esphome cellar"),
    ]
    assert all(d.payload == b"ON" and d.device_id is None for d in planned.letters)
    assert planned.refused == 3  # two readings of an unbound address, one refusal


def test_a_reading_of_a_kind_the_type_does_not_send_is_refused_with_its_device() -> None:
    planned = plan(
        MESSAGE,
        [Reading("hall/door", "motion", 1)],
        {"hall/door": bound("door-1", "door_sensor")},
        {},
    )
    assert planned.events == {}
    assert [(d.reason, d.device_id, d.source_address) for d in planned.letters] == [
        ("kind_not_allowed", "door-1", "hall/door")
    ]


def test_a_vendor_message_id_is_kept_in_the_events_extra() -> None:
    message = Message("http:acme", "POST /api/v1/ingest/http:acme", b"{}", AT)
    reading = Reading("PAT-1", "sos", None, message_id="evt-1")
    planned = plan(message, [reading], {"PAT-1": bound("pat-1", "sos_button")}, {})
    (event,) = planned.events["pat-1"].events
    assert event.kind == "sos"
    assert event.extra == {"source": "http:acme", "message_id": "evt-1"}


def test_topic_filters_match_as_mqtt_does() -> None:
    assert topic_matches("z2m/+", "z2m/front_door")
    assert not topic_matches("z2m/+", "z2m/front_door/availability")
    assert topic_matches("z2m/+/availability", "z2m/front_door/availability")
    assert topic_matches("tele/#", "tele/plug/SENSOR")
    assert topic_matches("tele/#", "tele")
    assert not topic_matches("z2m/bridge/devices", "z2m/bridge")


def test_the_book_forgets_an_unbound_address_after_its_ttl_and_everything_on_a_change() -> None:
    now = [0.0]
    book = SourceBook(clock=lambda: now[0])
    assert book.known("zigbee2mqtt", ["a"]) is None
    book.learn("zigbee2mqtt", ["a", "b"], {"a": bound("door-1", "door_sensor")})
    assert book.known("zigbee2mqtt", ["a", "b"]) == {"a": bound("door-1", "door_sensor")}
    now[0] = NEGATIVE_TTL_S + 0.1
    assert book.known("zigbee2mqtt", ["b"]) is None  # asked again
    assert book.known("zigbee2mqtt", ["a"]) == {"a": bound("door-1", "door_sensor")}
    book.clear("door-1")  # a device changed: any binding may have moved
    assert book.known("zigbee2mqtt", ["a"]) is None
