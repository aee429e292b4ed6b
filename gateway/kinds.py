"""What the gateway does about kinds a device's type does not send (``devices.kind_check``),
on the rare path: refused events become dead letters, unexpected critical ones are raised."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from devices.dead_letters_repo import DeadLetter
from devices.kind_check import KIND_UNEXPECTED, payloads_of
from devices.schema import Event, Reason
from gateway import metrics

log = logging.getLogger(__name__)


def raise_unexpected(events: Sequence[Event], device_type: str) -> None:
    """An emergency from a device that should not send it: stored, and told to a person.
    A wrong kind table or a mistyped registration must be fixed, never silence an SOS."""
    for event in events:
        metrics.UNEXPECTED_CRITICAL.labels(kind=event.kind, type=device_type).inc()
        log.error(
            "device %s (registered as %s) sent %s, which that type does not send: stored"
            " flagged %s; check the device's registration",
            event.device_id,
            device_type,
            event.kind,
            KIND_UNEXPECTED,
        )


def refused_letters(
    refused: Sequence[Event],
    decoded: Sequence[Event],
    device_type: str,
    *,
    topic: str,
    payload: bytes,
    received_at: datetime,
    payload_max: int,
) -> list[DeadLetter]:
    """Dead letters (``kind_not_allowed``) of ``refused``, events of ``decoded`` (all the
    events decoded from ``payload``) whose kind the type does not send."""
    if not refused:
        return []
    raws = payloads_of(payload, decoded, refused, received_at)
    return [
        DeadLetter(
            received_at=received_at,
            topic=topic,
            device_id=event.device_id,
            reason=Reason.KIND_NOT_ALLOWED.value,
            detail=f"a {device_type} does not send {event.kind}"[:200],
            payload=raw[:payload_max],
            payload_size=len(raw),
        )
        for event, raw in zip(refused, raws, strict=True)
    ]


def raise_unbound_critical(source: str, emergencies: Sequence[tuple[str, str]]) -> None:
    """Emergencies from foreign addresses bound to no device reach nobody: never silently.
    The address is not logged: a zigbee friendly name is free text an installer may have
    made of the elder's name (``GET /api/v1/fleet/unbound`` shows it to staff)."""
    for _address, kind in emergencies:
        metrics.CRITICAL_UNREGISTERED.inc()
        log.error(
            "critical event (%s) from a %s address bound to no device: dead-lettered, it"
            " reaches nobody; bind it (GET /api/v1/fleet/unbound)",
            kind,
            source,
        )
