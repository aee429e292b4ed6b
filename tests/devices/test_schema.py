"""The wire schema (contract §1): what devices may send, and how every refusal is named."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.kinds import KINDS, ValueRule
from devices.schema import (
    MAX_AHEAD,
    MAX_BATCH,
    MAX_BEHIND,
    MAX_PAYLOAD_BYTES,
    Channel,
    Decoded,
    Reason,
    cmd_topic,
    decode_events,
    decode_status,
    events_topic,
    parse_topic,
    status_topic,
)

RECEIVED = datetime(2026, 11, 29, 0, 15, 2, 120_000, tzinfo=UTC)
ROOT = "tanfang/v1"
KNOWN_FIELDS = {"ts", "seq", "kind", "value", "battery", "rssi"}
OPTIONAL_FIELDS = ("seq", "battery", "rssi")
FLAGS = {"clock_skew", "no_device_time", "bad_field", "unusable_field", "salvaged"}
ID_CHARS = string.ascii_letters + string.digits + "_.-"
MISSING: Any = object()

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# What PostgreSQL stores as sent: no NUL character (jsonb refuses it; devices.sanitise).
storable_chars = st.characters(codec="utf-8", exclude_characters="\x00")
storable_text = st.text(storable_chars, max_size=20)
storable_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        storable_text,
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=12,
)


def decode(payload: bytes) -> Decoded:
    return decode_events("dev-1", payload, RECEIVED)


def dumps(doc: Any) -> bytes:
    return orjson.dumps(doc)


def assert_well_formed(out: Decoded) -> None:
    """What the gateway relies on, whatever came in."""
    assert isinstance(out, Decoded)
    assert out.events or out.refusals, "every message is either stored or refused"
    for refusal in out.refusals:
        assert isinstance(refusal.reason, Reason)
        assert refusal.detail
        assert isinstance(refusal.payload, bytes)
    for event in out.events:
        assert event.kind in KINDS
        assert event.device_id == "dev-1"
        assert event.received_at == RECEIVED
        assert event.ts.tzinfo is not None
        assert -MAX_BEHIND <= event.ts - RECEIVED <= MAX_AHEAD
        assert event.battery is None or 0 <= event.battery <= 100
        assert event.rssi is None or -200 <= event.rssi <= 0
        assert event.seq is None or 0 <= event.seq < 2**63
        assert set(event.flags) <= FLAGS
        assert len(set(event.flags)) == len(event.flags)
        if "bad_field" in event.flags:
            assert event.extra, "a field left out of its column is kept in extra"
        if "clock_skew" in event.flags:
            assert event.extra is not None
            assert "device_ts" in event.extra


# --- nothing crashes the decoder -----------------------------------------------------------


@settings(deadline=None)
@given(st.binary(max_size=MAX_PAYLOAD_BYTES + 64))
def test_arbitrary_bytes_never_crash_and_every_refusal_has_a_reason(payload: bytes) -> None:
    assert_well_formed(decode(payload))


@settings(deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes_the_decoder(doc: Any) -> None:
    assert_well_formed(decode(dumps(doc)))


event_like = st.dictionaries(
    st.sampled_from([*sorted(KNOWN_FIELDS), "room", "fw"]),
    st.one_of(json_values, st.sampled_from(list(KINDS)), st.text(max_size=40)),
    max_size=7,
)


@settings(deadline=None)
@given(st.lists(event_like, min_size=1, max_size=MAX_BATCH))
def test_arrays_of_event_like_objects_account_for_every_item(items: list[dict[str, Any]]) -> None:
    out = decode(dumps(items))
    assert_well_formed(out)
    if len(dumps(items)) <= MAX_PAYLOAD_BYTES:
        assert len(out.events) + len(out.refusals) == len(items)


# --- valid events round-trip ---------------------------------------------------------------


@dataclass(frozen=True)
class WireEvent:
    doc: dict[str, Any]
    kind: str
    value: float | None
    ts: datetime
    exact_ts: bool
    seq: int | None
    battery: int | None
    extra: dict[str, Any] | None


def value_for(rule: ValueRule) -> st.SearchStrategy[tuple[Any, float | None]]:
    """(what the device sends, what is stored); MISSING means the field is left out."""
    if isinstance(rule, tuple):
        low, high = rule
        numbers = st.integers(int(low), int(high)) | st.floats(low, high)
        return numbers.map(lambda v: (v, float(v)))
    if rule == "flag":
        return st.sampled_from([(0, 0.0), (1, 1.0), (False, 0.0), (True, 1.0)])
    if rule == "one":
        return st.sampled_from([(MISSING, 1.0), (1, 1.0), (True, 1.0)])
    numbers = st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6) | st.booleans()
    return st.just((MISSING, None)) | numbers.map(lambda v: (v, float(v)))


offsets = st.sampled_from([0, 8 * 60, -5 * 60, 5 * 60 + 45, 14 * 60, -12 * 60]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
in_window = st.timedeltas(
    min_value=-MAX_BEHIND + timedelta(seconds=1), max_value=MAX_AHEAD - timedelta(seconds=1)
)


@st.composite
def wire_events(draw: st.DrawFn) -> WireEvent:
    kind = draw(st.sampled_from(sorted(KINDS)))
    sent_value, value = draw(value_for(KINDS[kind]))
    doc: dict[str, Any] = {"kind": kind}
    if sent_value is not MISSING:
        doc["value"] = sent_value
    ts, exact = RECEIVED, True
    form = draw(st.sampled_from(["missing", "iso", "epoch"]))
    if form != "missing":
        ts = (RECEIVED + draw(in_window)).astimezone(draw(offsets))
        doc["ts"] = ts.isoformat() if form == "iso" else ts.timestamp()
        exact = form == "iso"
    seq = draw(st.none() | st.integers(0, 2**63 - 1))
    battery = draw(st.none() | st.integers(0, 100))
    for name, field_value in (("seq", seq), ("battery", battery)):
        if field_value is not None:
            doc[name] = field_value
    rssi = draw(st.none() | st.integers(-120, 0))
    if rssi is not None:
        doc["rssi"] = rssi
    extra = draw(
        st.dictionaries(
            st.text(storable_chars, min_size=1, max_size=8).filter(lambda k: k not in KNOWN_FIELDS),
            storable_values,
            max_size=3,
        )
    )
    doc.update(extra)
    return WireEvent(doc, kind, value, ts, exact, seq, battery, extra or None)


def assert_round_trip(sent: WireEvent, event: Any) -> None:
    assert event.kind == sent.kind
    assert event.value == sent.value
    assert event.seq == sent.seq
    assert event.battery == sent.battery
    # A missing ts means "now, by the gateway's clock", and the event says so.
    assert event.flags == (() if "ts" in sent.doc else ("no_device_time",))
    assert event.extra == sent.extra
    if sent.exact_ts:
        assert event.ts == sent.ts
    else:  # epoch seconds as a float carry about a microsecond of rounding
        assert abs(event.ts - sent.ts) <= timedelta(microseconds=2)


@settings(deadline=None)
@given(wire_events())
def test_a_valid_event_round_trips(sent: WireEvent) -> None:
    out = decode(dumps(sent.doc))
    assert out.refusals == []
    [event] = out.events
    assert_round_trip(sent, event)


@settings(deadline=None, max_examples=50)
@given(st.lists(wire_events(), min_size=1, max_size=40))
def test_a_valid_array_round_trips_in_order(sent: list[WireEvent]) -> None:
    payload = dumps([s.doc for s in sent])
    out = decode(payload)
    assert out.refusals == []
    assert len(out.events) == len(sent)
    for one, event in zip(sent, out.events, strict=True):
        assert_round_trip(one, event)


any_optional = st.dictionaries(
    st.sampled_from(["ts", *OPTIONAL_FIELDS]),
    st.one_of(storable_values, st.integers(-300, 300), st.floats(-300, 300)),
    max_size=4,
)


@settings(deadline=None)
@given(
    st.sampled_from(sorted(KINDS)).flatmap(lambda k: st.tuples(st.just(k), value_for(KINDS[k]))),
    any_optional,
)
def test_optional_fields_never_cost_the_event_and_every_value_sent_is_kept(
    kind_value: tuple[str, tuple[Any, float | None]], optional: dict[str, Any]
) -> None:
    """Contract §1 refuses for kind, value, JSON, size and device only: whatever a device
    puts in ts, seq, battery and rssi, the event is stored, each value in its column or,
    as sent, in extra."""
    kind, (sent_value, value) = kind_value
    doc: dict[str, Any] = {"kind": kind, **optional}
    if sent_value is not MISSING:
        doc["value"] = sent_value
    out = decode(dumps(doc))
    assert_well_formed(out)
    assert out.refusals == []
    [event] = out.events
    assert (event.kind, event.value) == (kind, value)
    extra = event.extra or {}
    for name in OPTIONAL_FIELDS:
        if doc.get(name) is None:  # left out, or null: nothing to keep
            assert getattr(event, name) is None
            assert name not in extra
        elif getattr(event, name) is None:
            assert extra[name] == doc[name]
            assert "bad_field" in event.flags
        else:
            assert getattr(event, name) == round(doc[name])
    assert ("no_device_time" in event.flags) == (doc.get("ts") is None)
    if "clock_skew" in event.flags:
        assert extra["device_ts"] == doc["ts"]


def test_the_contract_example_is_accepted_as_written() -> None:
    payload = (
        b'{"ts": "2026-11-29T08:15:02.120+08:00", "seq": 1042, "kind": "motion",'
        b' "value": 1, "battery": 87}'
    )
    [event] = decode(payload).events
    assert event.ts == RECEIVED
    assert (event.kind, event.value, event.seq, event.battery) == ("motion", 1.0, 1042, 87)


# --- size and shape limits -----------------------------------------------------------------


def test_an_array_of_500_is_accepted_and_501_refused_whole() -> None:
    item = {"kind": "heartbeat"}
    assert len(decode(dumps([item] * MAX_BATCH)).events) == MAX_BATCH
    out = decode(dumps([item] * (MAX_BATCH + 1)))
    assert out.events == []
    assert [r.reason for r in out.refusals] == [Reason.BAD_SHAPE]


@pytest.mark.parametrize("payload", [b"[]", b"42", b'"motion"', b"null", b"[[]]"])
def test_what_is_not_an_event_object_or_array_is_a_bad_shape(payload: bytes) -> None:
    assert [r.reason for r in decode(payload).refusals] == [Reason.BAD_SHAPE]


def test_a_payload_up_to_256_kib_is_read_and_one_byte_more_is_too_large() -> None:
    body = b'{"kind": "heartbeat"}'
    assert len(decode(body.ljust(MAX_PAYLOAD_BYTES)).events) == 1
    out = decode(body.ljust(MAX_PAYLOAD_BYTES + 1))
    assert out.events == []
    assert [r.reason for r in out.refusals] == [Reason.TOO_LARGE]


@pytest.mark.parametrize("payload", [b"", b"{", b"motion", b"\xff\xfe", b'{"kind": "motion",}'])
def test_what_is_not_json_is_refused_as_not_json(payload: bytes) -> None:
    out = decode(payload)
    assert [r.reason for r in out.refusals] == [Reason.NOT_JSON]
    assert out.refusals[0].payload == payload


# --- refusals by field ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["teleport", "", "MOTION", 7, None, ["motion"]])
def test_an_unknown_kind_is_refused_as_unknown_kind(kind: Any) -> None:
    doc = {"value": 1} if kind is None else {"kind": kind, "value": 1}
    assert [r.reason for r in decode(dumps(doc)).refusals] == [Reason.UNKNOWN_KIND]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("door", None),
        ("door", "1"),
        ("door", 2),
        ("door", 0.5),
        ("motion", 0),
        ("motion", "yes"),
        ("temperature", None),
        ("temperature", "21.5"),
        ("temperature", True),
        ("temperature", 150),
        ("humidity", -1),
        ("power", [5]),
        ("heart_rate", {"bpm": 70}),
        ("cancel", "help"),
        ("heartbeat", [1]),
    ],
)
def test_a_value_of_the_wrong_type_or_range_is_refused_as_bad_value(kind: str, value: Any) -> None:
    out = decode(dumps({"kind": kind, "value": value}))
    assert out.events == []
    assert [r.reason for r in out.refusals] == [Reason.BAD_VALUE]


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("seq", -1),
        ("seq", 1.5),
        ("seq", "7"),
        ("seq", True),
        ("seq", 2**63),
        ("battery", 101),
        ("battery", -3),
        ("battery", "87"),
        ("battery", [87]),
        ("rssi", 5),
        ("rssi", -201),
        ("rssi", False),
    ],
)
def test_a_bad_optional_field_is_kept_in_extra_and_flagged_but_the_event_is_stored(
    name: str, sent: Any
) -> None:
    out = decode(dumps({"kind": "motion", "value": 1, "ts": RECEIVED.isoformat(), name: sent}))
    assert out.refusals == []
    [event] = out.events
    assert getattr(event, name) is None
    assert event.extra == {name: sent}
    assert event.flags == ("bad_field",)
    assert (event.kind, event.value, event.ts) == ("motion", 1.0, RECEIVED)


def test_an_sos_with_an_impossible_battery_still_reaches_the_store() -> None:
    """An emergency is never thrown away for a field that does not matter to it."""
    out = decode(dumps({"kind": "sos", "battery": 101, "seq": 5}))
    assert out.refusals == []
    [event] = out.events
    assert (event.kind, event.seq, event.battery) == ("sos", 5, None)
    assert event.extra == {"battery": 101}
    assert event.flags == ("no_device_time", "bad_field")


def test_every_bad_optional_field_of_one_event_is_set_aside_and_the_good_ones_kept() -> None:
    doc = {"kind": "heartbeat", "seq": -1, "battery": 55.6, "rssi": 9, "room": "hall"}
    [event] = decode(dumps(doc)).events
    assert (event.seq, event.battery, event.rssi) == (None, 56, None)
    assert event.extra == {"seq": -1, "rssi": 9, "room": "hall"}
    assert event.flags == ("no_device_time", "bad_field")


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-29T08:15:02",  # no offset: which clock?
        "2026-11-29",
        "yesterday",
        "",
        True,
        [1],
        {"t": 1},
        1e300,
        -1e300,
    ],
)
def test_an_unreadable_or_naive_device_time_is_stored_at_receive_time_as_clock_skew(
    raw: Any,
) -> None:
    out = decode(dumps({"kind": "sos", "ts": raw, "seq": 4}))
    assert out.refusals == []
    [event] = out.events
    assert event.ts == RECEIVED
    assert event.flags == ("clock_skew",)
    assert event.extra == {"device_ts": raw}
    assert event.seq == 4


def test_an_event_without_ts_is_stored_at_receive_time_and_says_so() -> None:
    [event] = decode(dumps({"kind": "checkin", "seq": 9})).events
    assert event.ts == RECEIVED
    assert event.flags == ("no_device_time",)
    assert event.extra is None


@pytest.mark.parametrize(
    "offset",
    [MAX_AHEAD + timedelta(seconds=1), -MAX_BEHIND - timedelta(seconds=1), timedelta(days=-400)],
)
@pytest.mark.parametrize("form", ["iso", "epoch"])
def test_an_implausible_device_time_is_stored_at_receive_time_and_flagged(
    offset: timedelta, form: str
) -> None:
    device_ts = RECEIVED + offset
    raw = device_ts.isoformat() if form == "iso" else device_ts.timestamp()
    out = decode(dumps({"kind": "door", "value": 1, "ts": raw, "seq": 3, "room": "entrance"}))
    assert out.refusals == []
    [event] = out.events
    assert event.ts == RECEIVED
    assert event.flags == ("clock_skew",)
    assert event.extra == {"device_ts": raw, "room": "entrance"}
    assert (event.value, event.seq) == (1.0, 3)


@pytest.mark.parametrize("offset", [MAX_AHEAD, -MAX_BEHIND + timedelta(seconds=1)])
def test_a_device_time_at_the_edge_of_the_window_is_kept(offset: timedelta) -> None:
    [event] = decode(dumps({"kind": "motion", "ts": (RECEIVED + offset).isoformat()})).events
    assert event.ts == RECEIVED + offset
    assert event.flags == ()


def test_extra_fields_are_kept_unvalidated_in_extra() -> None:
    extra = {"room": "kitchen", "fw": {"version": [1, 2]}, "note": None, "n": 1.5}
    [event] = decode(dumps({"kind": "heartbeat", **extra})).events
    assert event.extra == extra


def test_a_bad_item_of_an_array_is_refused_alone_with_its_index() -> None:
    items = [
        {"kind": "motion"},
        {"kind": "door", "value": 7},
        {"kind": "teleport"},
        {"kind": "sos"},
    ]
    out = decode(dumps(items))
    assert [e.kind for e in out.events] == ["motion", "sos"]
    assert [r.reason for r in out.refusals] == [Reason.BAD_VALUE, Reason.UNKNOWN_KIND]
    assert out.refusals[0].detail.startswith("item 1:")
    assert orjson.loads(out.refusals[1].payload) == {"kind": "teleport"}


# --- topics and status ---------------------------------------------------------------------


@given(st.text(alphabet=ID_CHARS, min_size=1, max_size=64), st.sampled_from(list(Channel)))
def test_parse_topic_accepts_every_valid_device_id(device_id: str, channel: Channel) -> None:
    topic = f"{ROOT}/dev/{device_id}/{channel.value}"
    parsed = parse_topic(topic, ROOT)
    assert parsed is not None
    assert (parsed.device_id, parsed.channel) == (device_id, channel)


@given(st.text(max_size=80))
def test_parse_topic_refuses_every_invalid_device_id(device_id: str) -> None:
    valid = 1 <= len(device_id) <= 64 and all(c in ID_CHARS for c in device_id)
    assert (parse_topic(events_topic(ROOT, device_id), ROOT) is not None) == valid


@pytest.mark.parametrize(
    "topic",
    [
        cmd_topic(ROOT, "pat-7f3a"),  # our own commands are not input
        "tanfang/v2/dev/pat-7f3a/events",
        "tanfang/v1/dev/pat-7f3a",
        "tanfang/v1/dev/pat-7f3a/events/extra",
        "tanfang/v1/dev//events",
        "tanfang/v1/devices/pat-7f3a/events",
        "tanfang/v1/dev/pat+7f3a/events",
        "tanfang/v1/dev/#/events",
        "tanfang/v1/dev/" + "a" * 65 + "/events",
    ],
)
def test_parse_topic_refuses_other_topics(topic: str) -> None:
    assert parse_topic(topic, ROOT) is None


def test_topic_helpers_build_what_parse_topic_reads() -> None:
    assert parse_topic(status_topic(ROOT, "a.b_c-1"), ROOT) is not None
    assert events_topic(ROOT, "x") == "tanfang/v1/dev/x/events"


@pytest.mark.parametrize(
    ("payload", "online"),
    [(b"online", True), (b'"offline"', False), (b"ONLINE\n", True), (b"", None), (b"1", None)],
)
def test_status_payloads_read_as_online_offline_or_unknown(
    payload: bytes, online: bool | None
) -> None:
    assert decode_status(payload) is online


def test_a_set_aside_field_holding_a_nul_keeps_its_place_cleaned_and_flagged() -> None:
    payload = b'{"kind": "sos", "ts": "now\\u0000", "battery": "full\\u0000"}'
    [event] = decode(payload).events
    assert event.flags == ("clock_skew", "bad_field", "unusable_field")
    assert event.extra == {"device_ts": "now\ufffd", "battery": "full\ufffd"}
