"""The wire schema: MQTT topics and event payloads, decoded and validated.

Pure functions of (bytes, receive time). Everything refused carries a reason from
``Reason`` so that it becomes a dead letter the operator can read and the metrics can count.

Only what the contract names is refused: not JSON, wrong shape, unknown kind, wrong value,
too large. What cannot be stored as sent costs the field, never the event whose kind is
readable (``devices.sanitise``): a payload ``orjson`` refuses is parsed again tolerantly
(non-standard numbers, lone surrogates, invalid UTF-8), and extra fields holding a NUL, a
lone surrogate or nesting and size over the bounds go to ``extra["unusable"]``, the event
flagged ``unusable_field``. A critical kind (sos, fall, smoke, gas) is never refused for its
content. A bad *optional* field (``ts``, ``seq``, ``battery``, ``rssi``) never costs the
event — an SOS with ``battery: 101`` must still reach someone: the field is left out of its
column, kept as sent in ``extra`` and the event flagged (``bad_field``, or ``clock_skew``
for a ``ts`` that cannot be used).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, NamedTuple

import orjson

from devices.kinds import CRITICAL_KINDS, KINDS
from devices.sanitise import (
    UNUSABLE_KEY,
    NonStandardNumber,
    may_be_unstorable,
    salvage_kinds,
    storable_extra,
    tolerant_loads,
)

# The broker's message size limit (contract §1): 500 events with their extra fields fit.
MAX_PAYLOAD_BYTES: Final = 256 * 1024
MAX_BATCH: Final = 500
MAX_AHEAD: Final = timedelta(minutes=5)
MAX_BEHIND: Final = timedelta(days=7)
_SEQ_MAX: Final = 2**63 - 1
DEVICE_ID_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# Flags of an event stored with its receive time instead of the device's own.
CLOCK_SKEW: Final = "clock_skew"
NO_DEVICE_TIME: Final = "no_device_time"
RECEIVE_TIME_FLAGS: Final = frozenset({CLOCK_SKEW, NO_DEVICE_TIME})
# Flag of an event stored without one of its optional fields (kept as sent in ``extra``).
BAD_FIELD: Final = "bad_field"
# Flag of an event some of whose extra fields could not be stored as sent (``extra["unusable"]``).
UNUSABLE_FIELD: Final = "unusable_field"
# Flag of a critical event read from the text of a payload that could not be decoded.
SALVAGED: Final = "salvaged"

_KNOWN_FIELDS: Final = frozenset({"ts", "seq", "kind", "value", "battery", "rssi"})
# What the decoder sets aside in ``extra`` under a name of its own; readers look there.
_SET_ASIDE: Final = frozenset({"device_ts", "seq", "value", "battery", "rssi"})


class Reason(StrEnum):
    """Why a message was refused (a dead letter's ``reason``)."""

    BAD_TOPIC = "bad_topic"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    BAD_SHAPE = "bad_shape"
    UNKNOWN_KIND = "unknown_kind"
    BAD_VALUE = "bad_value"
    BAD_FIELD = "bad_field"
    UNKNOWN_DEVICE = "unknown_device"
    BAD_STATUS = "bad_status"
    KIND_NOT_ALLOWED = "kind_not_allowed"  # a kind the device's type does not send
    INTERNAL_ERROR = "internal_error"
    # A foreign source's message (devices.adapters) whose address no device is bound to.
    UNBOUND_SOURCE = "unbound_source"
    # A foreign source's message its adapter could not use (the adapter's reason in detail).
    SOURCE_REFUSED = "source_refused"


class Channel(StrEnum):
    EVENTS = "events"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class Topic:
    device_id: str
    channel: Channel


class Event(NamedTuple):
    """One validated event, ready to store.

    A NamedTuple rather than a frozen dataclass: just as immutable, and made three times
    faster (it is built once per event, tens of thousands of times a second)."""

    device_id: str
    ts: datetime
    kind: str
    received_at: datetime
    seq: int | None = None
    value: float | None = None
    battery: int | None = None
    rssi: int | None = None
    flags: tuple[str, ...] = ()
    extra: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    detail: str
    payload: bytes


@dataclass(slots=True)
class Decoded:
    events: list[Event] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


class _Invalid(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def events_topic(root: str, device_id: str) -> str:
    return f"{root}/dev/{device_id}/events"


def status_topic(root: str, device_id: str) -> str:
    return f"{root}/dev/{device_id}/status"


def cmd_topic(root: str, device_id: str) -> str:
    return f"{root}/dev/{device_id}/cmd"


def parse_topic(topic: str, root: str) -> Topic | None:
    """``{root}/dev/{device_id}/{events|status}`` → Topic, anything else → None."""
    prefix = root + "/dev/"
    if not topic.startswith(prefix):
        return None
    device_id, sep, channel = topic[len(prefix) :].partition("/")
    if not sep or not DEVICE_ID_RE.fullmatch(device_id):
        return None
    try:
        return Topic(device_id, Channel(channel))
    except ValueError:
        return None


def decode_status(payload: bytes) -> bool | None:
    """``online`` → True, ``offline`` → False (bare or as a JSON string), else None."""
    text = payload.strip().strip(b'"').lower()
    if text == b"online":
        return True
    if text == b"offline":
        return False
    return None


def decode_events(device_id: str, payload: bytes, received_at: datetime) -> Decoded:
    """Decode one ``…/events`` payload: an event object or an array of up to 500.

    A bad item of an array is refused alone; the good ones are kept. Never raises.
    """
    out = Decoded()
    if len(payload) > MAX_PAYLOAD_BYTES:
        detail = f"payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD_BYTES}"
        return _refused_whole(
            out,
            Reason.TOO_LARGE,
            detail=detail,
            device_id=device_id,
            payload=payload,
            at=received_at,
        )
    tolerant = False
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        try:
            doc = tolerant_loads(payload)
        except ValueError:
            detail = f"not JSON: {exc}"
            return _refused_whole(
                out,
                Reason.NOT_JSON,
                detail=detail,
                device_id=device_id,
                payload=payload,
                at=received_at,
            )
        tolerant = True
    if type(doc) is dict:
        items: list[Any] = [doc]
    elif type(doc) is list and 0 < len(doc) <= MAX_BATCH:
        items = doc
    else:
        detail = f"expected an event object or an array of 1 to {MAX_BATCH} of them"
        return _refused_whole(
            out,
            Reason.BAD_SHAPE,
            detail=detail,
            device_id=device_id,
            payload=payload,
            at=received_at,
        )
    extras = False
    for index, item in enumerate(items):
        try:
            event = _event(device_id, item, received_at)
        except _Invalid as bad:
            detail = bad.detail if len(items) == 1 else f"item {index}: {bad.detail}"
            raw = payload if len(items) == 1 else _item_payload(item, payload)
            out.refusals.append(Refusal(bad.reason, detail, raw))
            continue
        out.events.append(event)
        if event.extra is not None:
            extras = True
    if tolerant or (extras and may_be_unstorable(payload, len(items))):
        out.events = [_storable(event) for event in out.events]
    return out


def _refused_whole(
    out: Decoded,
    reason: Reason,
    *,
    detail: str,
    device_id: str,
    payload: bytes,
    at: datetime,
) -> Decoded:
    """The whole payload refused; a critical kind named in its text is stored all the same."""
    out.refusals.append(Refusal(reason, detail, payload))
    for kind in salvage_kinds(payload):
        rule = KINDS[kind]
        note = f"read from the text of a payload refused as {reason.value}"
        out.events.append(
            Event(
                device_id=device_id,
                ts=at,
                kind=kind,
                received_at=at,
                value=1.0 if rule in ("one", "flag") else None,
                flags=(NO_DEVICE_TIME, SALVAGED),
                extra={UNUSABLE_KEY: {"payload": note}},
            )
        )
    return out


def _item_payload(item: Any, payload: bytes) -> bytes:
    """A refused item as JSON for its dead letter; the whole payload when it has no JSON."""
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:
        return payload


def _storable(event: Event) -> Event:
    if event.extra is None:
        return event
    extra, changed = storable_extra(event.extra, _SET_ASIDE)
    if not changed:
        return event
    return event._replace(extra=extra, flags=(*event.flags, UNUSABLE_FIELD))


def _event(device_id: str, item: Any, received_at: datetime) -> Event:
    if type(item) is not dict:
        raise _Invalid(Reason.BAD_SHAPE, "an event must be a JSON object")
    raw_kind = item.get("kind")
    rule = KINDS.get(raw_kind) if type(raw_kind) is str else None
    if rule is None:
        raise _Invalid(Reason.UNKNOWN_KIND, f"unknown kind {raw_kind!r}"[:200])
    kind = str(raw_kind)
    raw_value = item.get("value")
    value_ok = True
    try:
        value = _value(kind, rule, raw_value)
    except _Invalid:
        # A critical kind is never refused for its content, nor any kind for a number that
        # JSON cannot carry: the value is set aside like a bad optional field.
        if kind not in CRITICAL_KINDS and type(raw_value) is not NonStandardNumber:
            raise
        value, value_ok = None, False
    ts, flags, extra = _timestamp(item.get("ts"), received_at)
    for key, field_value in item.items():
        if key not in _KNOWN_FIELDS:
            if extra is None:
                extra = {}
            extra[key] = field_value
    seq, battery, rssi = item.get("seq"), item.get("battery"), item.get("rssi")
    # The common case costs four checks; only a bad field takes the slower path.
    if not (value_ok and _seq_ok(seq) and _in_range(battery, 0, 100) and _in_range(rssi, -200, 0)):
        extra = {} if extra is None else extra
        flags = (*flags, BAD_FIELD)
        _set_aside(extra, "value", raw_value, value_ok)
        seq = _set_aside(extra, "seq", seq, _seq_ok(seq))
        battery = _set_aside(extra, "battery", battery, _in_range(battery, 0, 100))
        rssi = _set_aside(extra, "rssi", rssi, _in_range(rssi, -200, 0))
    return Event(
        device_id=device_id,
        ts=ts,
        kind=kind,
        received_at=received_at,
        seq=seq,
        value=value,
        battery=None if battery is None else round(battery),
        rssi=None if rssi is None else round(rssi),
        flags=flags,
        extra=extra,
    )


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _value(kind: str, rule: str | tuple[float, float], value: Any) -> float | None:
    if isinstance(rule, tuple):
        if not _is_number(value):
            raise _Invalid(Reason.BAD_VALUE, f"{kind} needs a numeric value")
        low, high = rule
        if not low <= value <= high:
            raise _Invalid(Reason.BAD_VALUE, f"{kind} value {value} is outside {low}..{high}")
        return float(value)
    if rule == "none":
        if value is None:
            return None
        if type(value) is bool or _is_number(value):
            try:
                return float(value)
            except OverflowError:  # an integer of hundreds of digits (tolerant parse)
                raise _Invalid(Reason.BAD_VALUE, f"{kind} value is too large") from None
        raise _Invalid(Reason.BAD_VALUE, f"{kind} takes no value, or a number")
    if value is None and rule == "one":
        return 1.0
    if type(value) is bool:
        value = int(value)
    if value == 1 or (value == 0 and rule == "flag"):
        return float(value)
    expected = "1 or 0" if rule == "flag" else "1"
    raise _Invalid(Reason.BAD_VALUE, f"{kind} value must be {expected}, not {value!r}"[:200])


def _timestamp(
    raw: Any, received_at: datetime
) -> tuple[datetime, tuple[str, ...], dict[str, Any] | None]:
    """The device's time when it is readable and plausible; the receive time otherwise."""
    if raw is None:
        return received_at, (NO_DEVICE_TIME,), None
    ts = _device_time(raw)
    if ts is None or ts - received_at > MAX_AHEAD or received_at - ts > MAX_BEHIND:
        return received_at, (CLOCK_SKEW,), {"device_ts": raw}
    return ts, (), None


def _device_time(raw: Any) -> datetime | None:
    """ISO 8601 with an offset, or epoch seconds; None when unreadable or naive (which
    clock would it be?)."""
    if type(raw) is str:
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            return None
        return ts if ts.tzinfo is not None else None
    if _is_number(raw):
        try:
            return datetime.fromtimestamp(raw, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _seq_ok(raw: Any) -> bool:
    return raw is None or (type(raw) is int and 0 <= raw <= _SEQ_MAX)


def _in_range(raw: Any, low: int, high: int) -> bool:
    return raw is None or ((type(raw) is int or type(raw) is float) and low <= raw <= high)


def _set_aside(extra: dict[str, Any], name: str, raw: Any, ok: bool) -> Any:
    """The field's value when ``ok``; otherwise None, with what was sent kept in ``extra``."""
    if ok:
        return raw
    extra[name] = raw
    return None
