"""The generic HTTP body: vendor platforms that can only call a URL.

A body is one JSON object or an array of 1–500 of them (UTF-8, at most 256 KiB)::

    {"device_id": "PAT-88412", "kind": "sos", "ts": "2026-11-29T08:15:02+08:00",
     "message_id": "evt-5f1c9a", "battery": 76}

=============  ========  ====================================================================
field          required  meaning
=============  ========  ====================================================================
``device_id``  yes       the vendor's id of the device: the ``source.address`` it is bound by
``kind``       yes       a contract kind (CONTRACT §1: ``sos``, ``checkin``, ``fall`` …)
``value``      per kind  as in CONTRACT §1 (``door`` 1/0, ``temperature`` °C …)
``ts``         no        ISO 8601 with offset, or epoch seconds; missing → receive time
``message_id`` no        the vendor's id of this event (string or integer): a retried
                         delivery is stored once
``battery``    no        0–100 %
=============  ========  ====================================================================

This module maps the vendor's shape onto a contract event and routes it (``device_id`` →
address, ``message_id``); what the event holds is then judged by the same decoder as a
native device's (``devices.schema``), so the rules cannot drift apart: an unknown kind or a
wrong value is a dead letter naming it, a bad ``ts`` or ``battery`` costs that field and
not the event (flagged), and an ``sos``, ``fall``, ``smoke`` or ``gas`` is never refused for
its content. Values that are no JSON number travel in ``extra`` under their own name for
the decoder to judge. What cannot be routed — not an object, no usable ``device_id``, a
``kind`` that is not a string, a ``message_id`` that is no id — is a :class:`Refusal`
naming the item's index and the field.

Any other field is dropped, not stored: a vendor's body may carry the elder's name or phone
number, which the event store must never hold.
"""

from __future__ import annotations

from typing import Final

from devices.adapters.base import Output, Reading, Refusal
from devices.adapters.payloads import MAX_NAME_CHARS, load_json, name_ok, number
from devices.kinds import CRITICAL_KINDS

#: The most events one body holds (as an MQTT events payload, CONTRACT §1).
MAX_ITEMS: Final = 500
_MAX_MESSAGE_ID_CHARS: Final = 200


def adapt_body(body: bytes, now: float) -> list[Output]:
    """The readings of a generic HTTP body, and a Refusal for each item that cannot be
    used (``now`` is the receive time; the body's times are checked downstream)."""
    doc = load_json(body, "body")
    if isinstance(doc, Refusal):
        return [doc]
    if isinstance(doc, dict):
        items: list[object] = [doc]
    elif isinstance(doc, list) and 0 < len(doc) <= MAX_ITEMS:
        items = doc
    else:
        return [Refusal(f"body: expected an event object or an array of 1 to {MAX_ITEMS}")]
    single = isinstance(doc, dict)
    return [_item(item, "" if single else f"item {index}: ") for index, item in enumerate(items)]


def _item(item: object, where: str) -> Output:
    if not isinstance(item, dict):
        return Refusal(f"{where}an event must be a JSON object")
    device_id = item.get("device_id")
    if not (isinstance(device_id, str) and name_ok(device_id)):
        return Refusal(f"{where}device_id must be a string of 1 to {MAX_NAME_CHARS} characters")
    kind = item.get("kind")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_NAME_CHARS:
        return Refusal(f"{where}kind must be a contract kind, as a string", device_id)
    message_id = _message_id(item.get("message_id"))
    # An emergency is stored without an unusable id (a retry may store it twice) rather
    # than refused.
    if message_id is None and item.get("message_id") is not None and kind not in CRITICAL_KINDS:
        reason = f"{where}message_id must be a string of 1 to {_MAX_MESSAGE_ID_CHARS} characters"
        return Refusal(reason, device_id)
    raw: dict[str, object] = {}
    value = item.get("value")
    if not (value is None or isinstance(value, bool) or number(value) is not None):
        raw["value"], value = value, None
    ts = number(item.get("ts"))
    if ts is None and item.get("ts") is not None:
        raw["ts"] = item["ts"]  # ISO 8601, or something the decoder flags as clock skew
    battery = number(item.get("battery"))
    if battery is None and item.get("battery") is not None:
        raw["battery"] = item["battery"]
    return Reading(
        device_id,
        kind,
        value,
        ts,
        battery,
        message_id=message_id,
        extra=raw,
    )


def _message_id(raw: object) -> str | None:
    """The vendor's id as text (an integer id is its decimal form), or None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str) and 0 < len(raw) <= _MAX_MESSAGE_ID_CHARS and raw.isprintable():
        return raw
    return None
