"""Reading foreign payloads without trusting them: JSON, numbers, flags, times.

Every helper returns None (or a :class:`Refusal`) for what it cannot use; none raises on any
input, so an adapter built from them never does either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import orjson

from devices.adapters.base import AdapterSettings, Availability, Memory, Output, Refusal

#: The broker's message size limit (CONTRACT §1); a foreign message is no bigger.
MAX_PAYLOAD_BYTES: Final = 256 * 1024
#: A number beyond this is no sensor's reading (watts, °C, %, ms since 1970 all fit).
MAX_MAGNITUDE: Final = 1e13
#: A foreign id or name longer than this is not one (topic levels, vendor ids; the
#: registry keeps addresses of up to 200 characters).
MAX_NAME_CHARS: Final = 200
#: Epoch values above this are milliseconds (year 2286 in seconds).
_EPOCH_MS_ABOVE: Final = 1e10


def load_json(payload: bytes, what: str) -> object | Refusal:
    """``payload`` parsed, or a Refusal saying why not (``what`` names the message)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Refusal(f"{what}: {len(payload)} bytes, the limit is {MAX_PAYLOAD_BYTES}")
    try:
        doc: object = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Refusal(f"{what}: not JSON ({exc})"[:200])
    return doc


def load_object(payload: bytes, what: str) -> dict[str, object] | Refusal:
    """``payload`` as a JSON object, or a Refusal."""
    doc = load_json(payload, what)
    if isinstance(doc, Refusal):
        return doc
    if not isinstance(doc, dict):
        return Refusal(f"{what}: expected a JSON object, got {type(doc).__name__}")
    return doc


def text(payload: bytes, limit: int = 64) -> str | None:
    """A short plain-text payload (``online``, ``ON``, ``21.5``), stripped; None when it is
    not short UTF-8 text."""
    if len(payload) > limit:
        return None
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None


def number(value: object) -> float | None:
    """A finite JSON number of sane size (not a boolean, not a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    if not math.isfinite(result) or abs(result) > MAX_MAGNITUDE:
        return None
    return result


def number_text(raw: str) -> float | None:
    """A decimal number written as text (ESPHome states), finite and of sane size."""
    if len(raw) > 32:
        return None
    try:
        return number(float(raw))
    except ValueError:
        return None


def flag(value: object) -> bool | None:
    """A JSON boolean; None for anything else (zigbee2mqtt binary fields are booleans)."""
    return value if isinstance(value, bool) else None


def percent(value: object) -> float | None:
    """A battery percentage 0–100, or None."""
    result = number(value)
    return result if result is not None and 0.0 <= result <= 100.0 else None


def epoch(value: object) -> float | None:
    """Epoch seconds of an ISO 8601 time *with an offset* or an epoch number (seconds, or
    milliseconds when larger than any date in seconds); None otherwise — a time without an
    offset is on an unknown clock, so it is not used."""
    if isinstance(value, str):
        if len(value) > 40:
            return None
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return when.timestamp() if when.tzinfo is not None else None
    seconds = number(value)
    if seconds is None or seconds <= 0:
        return None
    if seconds > _EPOCH_MS_ABOVE:
        seconds /= 1000.0
    try:
        datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return seconds


def name_ok(name: str) -> bool:
    """Whether a foreign id taken from a topic or body is usable as an address."""
    return 0 < len(name) <= MAX_NAME_CHARS and name.isprintable()


def node_status(node: str, payload: bytes, online: str, offline: str, what: str) -> list[Output]:
    """A whole node's Last Will / birth message (``online`` or ``offline``, any case, bare
    or as a JSON string) as its availability; a Refusal naming ``what`` otherwise."""
    state = (text(payload) or "").strip('"').lower()
    if state in (online, offline):
        return [Availability(node, online=state == online, whole_node=True)]
    return [Refusal(f"{what} is neither {online} nor {offline}", node)]


#: One message's adaptation: (topic, payload, memory, now, settings) → outputs.
AdaptFn = Callable[[str, bytes, Memory, float, AdapterSettings], list[Output]]


@dataclass(slots=True)
class GuardedAdapter:
    """An :class:`~devices.adapters.base.Adapter` made of a source's kind, its topic
    filters and its adaptation function, run so that a bug in it becomes a Refusal naming
    the error's class, never an exception in the gateway's message handling (the fuzz tests
    call the unguarded functions, so such a bug still fails a test)."""

    kind: str
    topic_filters: Callable[[AdapterSettings], list[str]]
    adapt_message: AdaptFn

    def filters(self, settings: AdapterSettings) -> list[str]:
        return self.topic_filters(settings)

    def adapt(
        self, topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
    ) -> list[Output]:
        try:
            return self.adapt_message(topic, payload, memory, now, settings)
        except Exception as exc:  # the message becomes a dead letter, its error's class named
            return [Refusal(f"{self.kind} adapter error: {type(exc).__name__}")]
