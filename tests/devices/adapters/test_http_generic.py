"""The generic HTTP body: readings routed by device id with their message ids, judged then
by the same decoder as native events; refusals naming index and field for what cannot be
routed; emergencies never refused."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from devices.adapters.base import Reading, Refusal
from devices.adapters.http_generic import MAX_ITEMS, adapt_body
from devices.schema import BAD_FIELD, CLOCK_SKEW, Decoded, Reason, decode_events
from tests.devices.adapters.feed import T0

# What a Ping An Tong (平安通) vendor platform would post: an emergency press of a 4G
# pendant and the "I am fine" press of another, with the vendor's event ids.
PENDANTS = [
    {"device_id": "PAT-88412", "kind": "sos", "ts": "2026-11-29T08:15:02+08:00",
     "message_id": "evt-5f1c9a", "battery": 76},
    {"device_id": "PAT-88413", "kind": "checkin", "ts": 1795939200.5, "message_id": 5521},
]  # fmt: skip
RECEIVED = datetime.fromtimestamp(T0 + 3600, UTC)


def decoded(reading: Reading) -> Decoded:
    """The reading as the gateway decodes it for the bound device."""
    return decode_events("dev-1", orjson.dumps(reading.event()), RECEIVED)


def one(body: object) -> Reading:
    (out,) = adapt_body(orjson.dumps(body), T0)
    assert isinstance(out, Reading), out
    return out


def test_a_batch_becomes_readings_with_their_message_ids_and_times() -> None:
    sos, checkin = adapt_body(orjson.dumps(PENDANTS), T0)
    assert isinstance(sos, Reading)
    assert isinstance(checkin, Reading)
    assert (sos.address, sos.kind, sos.value, sos.message_id, sos.battery) == (
        "PAT-88412", "sos", None, "evt-5f1c9a", 76.0,
    )  # fmt: skip
    (event,) = decoded(sos).events
    assert event.ts == datetime(2026, 11, 29, 0, 15, 2, tzinfo=UTC)  # 08:15:02 in Beijing
    assert (checkin.kind, checkin.ts, checkin.message_id) == ("checkin", 1795939200.5, "5521")


def test_one_object_is_a_body_too() -> None:
    door = one({"device_id": "w1", "kind": "door", "value": 1})
    assert (door.kind, door.value, door.ts, door.message_id) == ("door", 1, None, None)
    assert [(e.kind, e.value) for e in decoded(door).events] == [("door", 1.0)]


def test_other_fields_are_dropped_not_stored() -> None:
    body = {"device_id": "w1", "kind": "checkin", "elder_name": "someone", "phone": "13800000000"}
    assert one(body).event() == {"kind": "checkin"}


@pytest.mark.parametrize(
    ("item", "reason", "words"),
    [
        ({"kind": "teleport"}, Reason.UNKNOWN_KIND, "teleport"),
        ({"kind": "door"}, Reason.BAD_VALUE, "door value"),
        ({"kind": "door", "value": 2}, Reason.BAD_VALUE, "door value"),
        ({"kind": "temperature", "value": "hot"}, Reason.BAD_VALUE, "temperature"),
    ],
)
def test_a_wrong_kind_or_value_is_refused_by_the_decoder_naming_it(
    item: dict[str, object], reason: Reason, words: str
) -> None:
    reading = one({"device_id": "w1", "message_id": "m-1", **item})
    assert reading.message_id == "m-1"  # a retried delivery of it is recognised
    (refusal,) = decoded(reading).refusals
    assert refusal.reason is reason
    assert words in refusal.detail


def test_a_bad_time_or_battery_costs_the_field_not_the_event() -> None:
    body = {"device_id": "w1", "kind": "door", "value": 1, "ts": "2026-11-29T08:15:02",
            "battery": 140}  # fmt: skip
    (event,) = decoded(one(body)).events
    assert (event.kind, event.value, event.battery, event.ts) == ("door", 1.0, None, RECEIVED)
    assert {CLOCK_SKEW, BAD_FIELD} <= set(event.flags)


def test_an_emergency_is_kept_whatever_its_fields_hold() -> None:
    body = {"device_id": "PAT-1", "kind": "sos", "ts": "soon", "battery": "full",
            "message_id": "", "value": {"x": 1}}  # fmt: skip
    reading = one(body)
    assert reading.message_id is None
    (event,) = decoded(reading).events
    assert event.kind == "sos"
    assert decoded(reading).refusals == []


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"kind": "door", "value": 1}, "device_id"),
        ({"device_id": "", "kind": "door", "value": 1}, "device_id"),
        ({"device_id": 12, "kind": "door", "value": 1}, "device_id"),
        ({"device_id": "w1", "kind": 3}, "kind"),
        ({"device_id": "w1", "kind": "door", "value": 1, "message_id": ["x"]}, "message_id"),
        ("door", "object"),
    ],
)
def test_what_cannot_be_routed_is_refused_naming_its_index_and_field(
    item: object, field: str
) -> None:
    out = adapt_body(orjson.dumps([{"device_id": "w0", "kind": "checkin"}, item]), T0)
    assert isinstance(out[0], Reading)
    refused = out[1]
    assert isinstance(refused, Refusal)
    assert refused.reason.startswith("item 1: ")
    assert field in refused.reason


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"nope",
        b"[]",
        b"3",
        orjson.dumps([{"device_id": "a", "kind": "sos"}] * (MAX_ITEMS + 1)),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_whole(body: bytes) -> None:
    (refused,) = adapt_body(body, T0)
    assert isinstance(refused, Refusal)
    assert "body" in refused.reason
