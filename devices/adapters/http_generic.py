"""PLACEHOLDER of the binding branch — the adapters branch's module replaces this file whole
at merge (take theirs). Just enough of the generic vendor body for the ingest route's tests.

The body: one object or an array of ``{"device_id", "kind", "ts"?, "value"?,
"message_id"?, "battery"?}``; ``device_id`` is the vendor's id (the bound address).
"""

from __future__ import annotations

import math
from typing import Final

import orjson

from devices.adapters.base import Output, Reading, Refusal

_MAX_ITEMS: Final = 500


def adapt_body(body: bytes, now: float) -> list[Output]:
    """The readings of one vendor body; a Refusal naming the field for what is wrong."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [Refusal("body: not JSON")]
    items = doc if isinstance(doc, list) else [doc]
    if not items or len(items) > _MAX_ITEMS:
        return [Refusal(f"body: 1 to {_MAX_ITEMS} items")]
    return [_item(i, item) for i, item in enumerate(items)]


def _item(index: int, item: object) -> Output:
    if not isinstance(item, dict):
        return Refusal(f"body[{index}]: not an object")
    device_id, kind = item.get("device_id"), item.get("kind")
    if not isinstance(device_id, str) or not device_id:
        return Refusal(f"body[{index}].device_id: missing or not a string")
    if not isinstance(kind, str) or not kind:
        return Refusal(f"body[{index}].kind: missing or not a string", device_id)
    value, ts, battery = item.get("value"), item.get("ts"), item.get("battery")
    message_id = item.get("message_id")
    if value is not None and not _number(value) and not isinstance(value, bool):
        return Refusal(f"body[{index}].value: not a number or boolean", device_id)
    return Reading(
        device_id,
        kind,
        value,
        _float(ts),
        _float(battery),
        None,
        str(message_id) if isinstance(message_id, str | int) and message_id != "" else None,
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and _number(value) else None


def _number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
