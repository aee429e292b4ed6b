"""The generic HTTP body: readings with their message ids, refusals naming index and field,
and emergencies kept whatever their optional fields hold."""

from __future__ import annotations

import orjson
import pytest

from devices.adapters.base import Reading, Refusal
from devices.adapters.http_generic import MAX_ITEMS, adapt_body
from tests.devices.adapters.feed import T0

# What a Ping An Tong (平安通) vendor platform would post: an emergency press of a 4G
# pendant and the "I am fine" press of another, with the vendor's event ids.
PENDANTS = [
    {"device_id": "PAT-88412", "kind": "sos", "ts": "2026-11-29T08:15:02+08:00",
     "message_id": "evt-5f1c9a", "battery": 76},
    {"device_id": "PAT-88413", "kind": "checkin", "ts": 1795939200.5, "message_id": "evt-5f1c9b"},
]  # fmt: skip


def test_a_batch_becomes_readings_with_their_message_ids() -> None:
    out = adapt_body(orjson.dumps(PENDANTS), T0)
    assert all(isinstance(o, Reading) for o in out)
    sos, checkin = out
    assert isinstance(sos, Reading)
    assert isinstance(checkin, Reading)
    assert (sos.address, sos.kind, sos.value, sos.message_id, sos.battery) == (
        "PAT-88412", "sos", None, "evt-5f1c9a", 76.0,
    )  # fmt: skip
    assert sos.ts == T0 + 15 * 60 + 2  # 08:15:02 in Beijing is 00:15:02 UTC
    assert (checkin.kind, checkin.ts, checkin.message_id) == ("checkin", 1795939200.5, "evt-5f1c9b")


def test_one_object_is_a_body_too() -> None:
    (out,) = adapt_body(orjson.dumps({"device_id": "w1", "kind": "door", "value": 1}), T0)
    assert isinstance(out, Reading)
    assert (out.kind, out.value, out.ts, out.message_id) == ("door", 1, None, None)


def test_other_fields_are_dropped_not_stored() -> None:
    body = {"device_id": "w1", "kind": "checkin", "elder_name": "someone", "phone": "13800000000"}
    (out,) = adapt_body(orjson.dumps(body), T0)
    assert isinstance(out, Reading)
    assert out.event() == {"kind": "checkin"}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"kind": "door", "value": 1}, "device_id"),
        ({"device_id": "", "kind": "door", "value": 1}, "device_id"),
        ({"device_id": "w1", "kind": "teleport"}, "kind"),
        ({"device_id": "w1", "kind": "door"}, "value"),
        ({"device_id": "w1", "kind": "door", "value": 2}, "value"),
        ({"device_id": "w1", "kind": "temperature", "value": "hot"}, "temperature"),
        ({"device_id": "w1", "kind": "door", "value": 1, "ts": "2026-11-29T08:15:02"}, "ts"),
        ({"device_id": "w1", "kind": "door", "value": 1, "battery": 101}, "battery"),
        ({"device_id": "w1", "kind": "door", "value": 1, "message_id": 7}, "message_id"),
    ],
)
def test_a_bad_item_is_refused_naming_its_index_and_field(
    item: dict[str, object], field: str
) -> None:
    good = {"device_id": "w0", "kind": "checkin"}
    out = adapt_body(orjson.dumps([good, item]), T0)
    assert isinstance(out[0], Reading)
    refused = out[1]
    assert isinstance(refused, Refusal)
    assert refused.reason.startswith("item 1: ")
    assert field in refused.reason


def test_an_emergency_is_kept_whatever_its_optional_fields_hold() -> None:
    body = {"device_id": "PAT-1", "kind": "sos", "ts": "soon", "battery": "full", "message_id": ""}
    (out,) = adapt_body(orjson.dumps(body), T0)
    assert isinstance(out, Reading)
    assert (out.kind, out.ts, out.battery, out.message_id) == ("sos", None, None, None)
    assert out.extra == {"bad_fields": ["ts", "battery", "message_id"]}


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
