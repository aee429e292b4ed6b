"""Retained deliveries on an events topic: stored once per distinct payload.

An events topic is not retained by contract, but a device may publish with the retain flag
all the same (a Ping An Tong button configured so). The broker then delivers that message
again at every subscription, so at every gateway start; an event without ``ts`` or ``seq``
would be stored again each time. Such an event is kept — a retained SOS is still an SOS —
flagged ``retained`` and keyed by the device and the payload's hash
(``extra["retained_key"]``); the writer stores it only when no event of that device holds
the same key (``devices.ingest_repo``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from devices.schema import Event

RETAINED: Final = "retained"
RETAINED_KEY: Final = "retained_key"
# 128 bits: distinct payloads of one device never share a key.
_KEY_BYTES: Final = 16


def retained_key(device_id: str, payload: bytes) -> str:
    digest = hashlib.blake2b(digest_size=_KEY_BYTES)
    digest.update(device_id.encode())
    digest.update(b"\x00")
    digest.update(payload)
    return digest.hexdigest()


def keyed(events: Sequence[Event], device_id: str, payload: bytes) -> list[Event]:
    """The events of a retained delivery, flagged and keyed by its payload."""
    key = retained_key(device_id, payload)
    return [
        e._replace(flags=(*e.flags, RETAINED), extra={**(e.extra or {}), RETAINED_KEY: key})
        for e in events
    ]
