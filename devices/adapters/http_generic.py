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
``message_id`` no        the vendor's id of this event: a retried delivery is stored once
``battery``    no        0–100 %
=============  ========  ====================================================================

Any other field is dropped, not stored: a vendor's body may carry the elder's name or phone
number, which the event store must never hold. Anything wrong is a :class:`Refusal` naming
the item's index and the field. A critical kind (``sos``, ``fall``, ``smoke``, ``gas``) is
never refused for a bad optional field or value: the field is left out and named in
``extra.bad_fields``.
"""

from __future__ import annotations

from typing import Final

from devices.adapters.base import Output, Reading, Refusal, Value
from devices.adapters.payloads import MAX_NAME_CHARS, epoch, load_json, name_ok, number, percent
from devices.kinds import CRITICAL_KINDS, KINDS

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
    if not isinstance(kind, str) or kind not in KINDS:
        return Refusal(f"{where}kind {kind!r} is not a contract kind"[:200], device_id)
    value, bad_value = _value(kind, item.get("value"))
    ts = epoch(item.get("ts"))
    battery = percent(item.get("battery"))
    message_id = item.get("message_id")
    problems = {
        "value": bad_value,
        "ts": "ts must be ISO 8601 with an offset, or epoch seconds"
        if item.get("ts") is not None and ts is None
        else None,
        "battery": "battery must be a number 0..100"
        if item.get("battery") is not None and battery is None
        else None,
        "message_id": "message_id must be a string of 1 to 200 characters"
        if message_id is not None and not _message_id_ok(message_id)
        else None,
    }
    bad = [field for field, problem in problems.items() if problem is not None]
    if bad and kind not in CRITICAL_KINDS:
        return Refusal(f"{where}{problems[bad[0]]}", device_id)
    return Reading(
        device_id,
        kind,
        value,
        ts,
        battery,
        message_id=message_id if isinstance(message_id, str) and "message_id" not in bad else None,
        extra={"bad_fields": bad} if bad else {},
    )


def _message_id_ok(message_id: object) -> bool:
    return (
        isinstance(message_id, str)
        and 0 < len(message_id) <= _MAX_MESSAGE_ID_CHARS
        and message_id.isprintable()
    )


def _value(kind: str, raw: object) -> tuple[Value, str | None]:
    """The value by the kind's rule (``devices.kinds.KINDS``), or None and why not."""
    rule = KINDS[kind]
    if isinstance(rule, tuple):
        low, high = rule
        value = number(raw)
        if value is None or not low <= value <= high:
            return None, f"{kind} needs a value in {low:g}..{high:g}"
        return value, None
    if raw is None:
        if rule == "flag":
            return None, f"{kind} needs a value 1 or 0"
        return (1 if rule == "one" else None), None
    if rule == "none":
        kept: Value = raw if isinstance(raw, bool) else number(raw)
        return (kept, None) if kept is not None else (None, f"{kind} takes no value, or a number")
    if raw in (True, 1) or (rule == "flag" and raw in (False, 0)):
        return (1 if raw else 0), None
    return None, f"{kind} value must be {'1 or 0' if rule == 'flag' else '1'}"
