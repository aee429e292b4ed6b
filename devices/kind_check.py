"""Which of a device's events its type may send (``devices.kinds.ALLOWED_KINDS``).

Pure, and on the ingest hot path: one frozenset lookup per event. A kind the type may not
send is refused (dead letter ``kind_not_allowed``), so that a motion sensor's ``checkin``
never counts as an online visit. A critical kind (sos, fall, smoke, gas) from a type that
should not send it is kept, flagged ``kind_unexpected``, for a person to look at: a wrong
table or a mistyped registration must never silence an emergency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import orjson

from devices.kinds import ALLOWED_KINDS, CRITICAL_KINDS
from devices.schema import Event, decode_events

# Flag of a critical event stored although its device's type does not send that kind.
KIND_UNEXPECTED: Final = "kind_unexpected"

# By the type's name as the registry holds it (a plain string from the devices table). A
# type the table does not know may send only what every type sends.
_BY_TYPE: Final[dict[str, frozenset[str]]] = {str(t): k for t, k in ALLOWED_KINDS.items()}
_UNKNOWN_TYPE: Final = frozenset({"heartbeat", "tamper"})


# (kept, refused, unexpected): ``kept`` to store, the allowed events and the unexpected
# critical ones (flagged); ``refused`` the kinds the type may not send; ``unexpected`` the
# critical events from a type that does not send their kind (also in ``kept``). A plain
# tuple: a NamedTuple costs twice the whole check on the hot path.
KindCheck = tuple[list[Event], Sequence[Event], Sequence[Event]]
_NONE: Final[tuple[Event, ...]] = ()


def check_kinds(device_type: str, events: list[Event]) -> KindCheck:
    """Sort ``events`` of one device by whether its type may send their kinds:
    ``(kept, refused, unexpected)``."""
    allowed = _BY_TYPE.get(device_type, _UNKNOWN_TYPE)
    for event in events:
        if event.kind not in allowed:
            return _sorted_out(allowed, events)
    return events, _NONE, _NONE


def _sorted_out(allowed: frozenset[str], events: list[Event]) -> KindCheck:
    kept: list[Event] = []
    refused: list[Event] = []
    unexpected: list[Event] = []
    for event in events:
        if event.kind in allowed:
            kept.append(event)
        elif event.kind in CRITICAL_KINDS:
            flagged = event._replace(flags=(*event.flags, KIND_UNEXPECTED))
            kept.append(flagged)
            unexpected.append(flagged)
        else:
            refused.append(event)
    return kept, refused, unexpected


def payloads_of(
    payload: bytes, decoded: Sequence[Event], wanted: Sequence[Event], received_at: datetime
) -> list[bytes]:
    """The bytes as sent of each of ``wanted``, events that ``decoded`` (the events decoded
    from ``payload``, in order) holds: the whole payload for a single event, the item as
    JSON for an item of an array (as the decoder keeps a refused item). Off the hot path."""
    doc = orjson.loads(payload)
    if type(doc) is dict:
        return [payload]
    device_id = decoded[0].device_id
    # The decoder keeps the good items in order: pair them with the events it made.
    good = (
        raw for raw in map(orjson.dumps, doc) if decode_events(device_id, raw, received_at).events
    )
    ids = {id(event) for event in wanted}
    return [raw for raw, event in zip(good, decoded, strict=False) if id(event) in ids]
