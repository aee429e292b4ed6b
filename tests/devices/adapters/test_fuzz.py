"""No bytes make an adapter raise: hostile topics and payloads become refusals or nothing,
and whatever comes out is a storable contract event.

The adapters' unguarded ``adapt`` functions are called, so that a bug the guard would turn
into a refusal still fails here."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.adapters import esphome, shelly, tasmota, zigbee2mqtt
from devices.adapters.base import (
    BINARY,
    AdapterSettings,
    Alias,
    Availability,
    Memory,
    Output,
    Reading,
    Refusal,
)
from devices.adapters.http_generic import adapt_body
from devices.kinds import KINDS
from devices.schema import decode_events
from tests.devices.adapters.feed import T0, fixture_messages

RECEIVED = datetime.fromtimestamp(T0, UTC)

Adapt = Callable[[str, bytes, Memory, float, AdapterSettings], list[Output]]

FIELDS = [
    # zigbee2mqtt
    "occupancy", "presence", "contact", "water_leak", "smoke", "gas", "tamper", "fall",
    "fall_down_status", "temperature", "humidity", "action", "battery", "linkquality",
    "last_seen", "ieee_address", "friendly_name", "type", "definition", "description",
    "exposes", "property", "values", "state",
    # Tasmota
    "Time", "ENERGY", "Power", "AM2301", "DS18B20", "Temperature", "Humidity", "TempUnit",
    "Wifi", "Signal", "RSSI",
    # Shelly
    "id", "apower", "output", "tC", "rh", "percent", "method", "params", "ts",
    "switch:0", "switch:1", "temperature:0", "humidity:0", "devicepower:0",
    # HTTP
    "device_id", "kind", "value", "message_id",
]  # fmt: skip
WORDS = ["ON", "OFF", "online", "offline", "Online", "true", "false", "fall", "single",
         "hold", "emergency", "release", "NotifyStatus", "nan", "inf", "-3276.8", "F",
         "2026-11-29T08:15:02+08:00", "2026-11-29T08:15:02", "sos", "door"]  # fmt: skip

numbers = (
    st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, 1, -1, 2**63, 10**400, 1e308, -1e-308, 95, 2000, 1_795_939_200_123])
)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=12) | st.sampled_from(WORDS)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


def encode(value: Any) -> bytes:
    # json, not orjson: it writes NaN and Infinity, which orjson must then refuse.
    try:
        return json.dumps(value).encode()
    except (ValueError, OverflowError):
        return b"{}"


payloads = (
    values.map(encode)
    | st.binary(max_size=64)
    | st.sampled_from(WORDS).map(str.encode)
    | st.sampled_from([b"", b"{", b"[]", b"null", b'{"a": NaN}', b"\xff\xfe\x00"])
)


def topics(shapes: list[str]) -> st.SearchStrategy[str]:
    level = st.sampled_from(["plug", "flat12", "", "bridge", "+", "#", "a" * 200]) | st.text(
        max_size=10
    )
    shaped = st.tuples(st.sampled_from(shapes), level, level).map(
        lambda t: t[0].replace("{a}", t[1]).replace("{b}", t[2])
    )
    return shaped | st.text(max_size=30)


def mutated(data: st.DataObject, value: Any) -> Any:
    """``value`` with some of its leaves (and containers) replaced by hostile values."""
    if data.draw(st.integers(0, 5)) == 0:
        return data.draw(values)
    if isinstance(value, dict):
        return {key: mutated(data, item) for key, item in value.items()}
    if isinstance(value, list):
        return [mutated(data, item) for item in value]
    return value


def realistic(data: st.DataObject, source: str) -> tuple[str, bytes]:
    """A fixture message of ``source`` with hostile values in places."""
    messages = fixture_messages(source)
    topic, payload = messages[data.draw(st.sampled_from(sorted(messages)))]
    return topic, encode(mutated(data, payload)) if not isinstance(
        payload, str
    ) else payload.encode()


CASES: list[tuple[Adapt, list[str]]] = [
    (
        zigbee2mqtt.adapt,
        ["zigbee2mqtt/{a}", "zigbee2mqtt/{a}/availability", "zigbee2mqtt/bridge/devices",
         "zigbee2mqtt/{a}/{b}", "zigbee2mqtt/{a}/set", "zigbee2mqtt/bridge/{a}"],
    ),
    (tasmota.adapt, ["tele/{a}/SENSOR", "tele/{a}/LWT", "tele/{a}/STATE", "stat/{a}/{b}"]),
    (shelly.adapt, ["{a}/online", "{a}/status/switch:{b}", "{a}/status/{b}", "{a}/events/rpc"]),
    (
        esphome.adapt,
        ["{a}/status", "{a}/sensor/{b}/state", "{a}/binary_sensor/{b}/state",
         "{a}/sensor/temperature/state", "{a}/sensor/power/state"],
    ),
]  # fmt: skip


def check(outputs: object, any_kind: bool = False) -> None:
    """Every output well formed; a reading a contract event (of a known kind unless
    ``any_kind``: the HTTP body's kinds are judged by the decoder) that decodes."""
    assert isinstance(outputs, list)
    for out in outputs:
        assert isinstance(out, Reading | Availability | Alias | Refusal)
        if isinstance(out, Refusal):
            assert out.reason
            assert len(out.reason) <= 300
        if isinstance(out, Reading):
            assert any_kind or out.kind in KINDS or out.kind == BINARY
            assert out.value is None or isinstance(out.value, bool) or math.isfinite(out.value)
            if out.kind != BINARY:
                decode_events("dev-1", orjson.dumps(out.event()), RECEIVED)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(range(len(CASES))),
    data=st.data(),
)
def test_no_message_makes_an_adapter_raise(case: int, data: st.DataObject) -> None:
    adapt, shapes = CASES[case]
    memory = Memory(max_entries=64)
    messages = data.draw(st.lists(st.tuples(topics(shapes), payloads), min_size=1, max_size=6))
    now = T0
    for topic, payload in messages:
        now += data.draw(st.floats(min_value=0, max_value=4000))
        check(adapt(topic, payload, memory, now, AdapterSettings()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(range(len(CASES))), data=st.data())
def test_no_realistic_message_with_hostile_values_makes_an_adapter_raise(
    case: int, data: st.DataObject
) -> None:
    adapt, _ = CASES[case]
    source = adapt.__module__.rsplit(".", 1)[-1]
    memory = Memory(max_entries=64)
    now = T0
    for _ in range(data.draw(st.integers(1, 6))):
        topic, payload = realistic(data, source)
        now += data.draw(st.floats(min_value=0, max_value=4000))
        check(adapt(topic, payload, memory, now, AdapterSettings()))


@settings(max_examples=150, deadline=None)
@given(body=payloads | st.lists(values, max_size=4).map(encode))
def test_no_body_makes_the_http_adapter_raise(body: bytes) -> None:
    check(adapt_body(body, T0), any_kind=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=7), max_size=4))
def test_no_item_makes_the_http_adapter_raise(items: list[dict[str, Any]]) -> None:
    check(adapt_body(encode(items), T0), any_kind=True)
