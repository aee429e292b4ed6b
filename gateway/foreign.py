"""What one foreign message comes to, once its addresses are bound: pure, no I/O.

An adapter (``devices.adapters``) turns a foreign message into readings, availability,
aliases and refusals for the source's own addresses. Given the device each address is bound
to, this module makes of them what a native message makes: events decoded and checked by
the same decoder and kinds-per-type check (``devices.schema.decode_events``,
``devices.kind_check``), status changes, and dead letters that keep the source and address
(``unbound_source`` for an address bound to no device, ``source_refused`` for what the
adapter could not use, ``kind_not_allowed`` as for a native device). The live gateway
(``gateway.foreign_ingest``), the dead-letter replay (``gateway.replay``) and the HTTP
ingest (``gateway.http_ingest``) share it, so a foreign event is the same whichever way it
came.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import orjson

from devices.adapters.base import BINARY, Availability, Output, Reading, Refusal, binary_kind
from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange
from devices.kind_check import check_kinds
from devices.kinds import CRITICAL_KINDS
from devices.schema import MAX_PAYLOAD_BYTES, Event, Reason, decode_events
from devices.sources_repo import Bound

#: The stored event's ``extra`` names the source it came through, and the vendor's id of
#: the message where it has one.
SOURCE_KEY: Final = "source"
MESSAGE_ID_KEY: Final = "message_id"


@dataclass(slots=True)
class DeviceEvents:
    """The events of one device from one message (a batcher call each)."""

    device_id: str
    elder_id: str | None
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Planned:
    """One message's outputs, bound: what to store, what to refuse."""

    events: dict[str, DeviceEvents] = field(default_factory=dict)
    letters: list[DeadLetter] = field(default_factory=list)
    statuses: list[StatusChange] = field(default_factory=list)
    # Critical events from a type that does not send their kind (stored, flagged): told.
    unexpected: list[tuple[Event, str]] = field(default_factory=list)
    # Readings whose event was refused, or whose address is bound to no device.
    refused: int = 0
    # (address, kind) of emergencies from addresses bound to no device: they reach nobody.
    unbound_critical: list[tuple[str, str]] = field(default_factory=list)

    @property
    def stored_events(self) -> int:
        return sum(len(d.events) for d in self.events.values())


@dataclass(frozen=True, slots=True)
class Message:
    """One foreign message as received."""

    kind: str
    topic: str
    payload: bytes
    received_at: datetime


def addresses_of(outputs: Sequence[Output]) -> tuple[list[str], list[str]]:
    """The addresses to bind (readings, availability of one address) and the nodes whose
    availability covers every address under them."""
    single: dict[str, None] = {}
    nodes: dict[str, None] = {}
    for out in outputs:
        if isinstance(out, Reading) or (isinstance(out, Availability) and not out.whole_node):
            single[out.address] = None
        elif isinstance(out, Availability):
            nodes[out.address] = None
    return list(single), list(nodes)


def plan(
    message: Message,
    outputs: Sequence[Output],
    bound: Mapping[str, Bound],
    under: Mapping[str, Sequence[Bound]],
) -> Planned:
    """``outputs`` of ``message``; ``bound`` maps an address to its device (absent:
    unbound), ``under`` a node to the devices under it. Aliases are the caller's."""
    planned = Planned()
    unbound: dict[str, None] = {}
    for out in outputs:
        if isinstance(out, Reading):
            found = bound.get(out.address)
            if found is None:
                unbound[out.address] = None
                planned.refused += 1
                if out.kind in CRITICAL_KINDS:
                    planned.unbound_critical.append((out.address, out.kind))
            else:
                _reading(planned, message, out, found)
        elif isinstance(out, Availability):
            devices = under.get(out.address, ()) if out.whole_node else ()
            if not out.whole_node and out.address in bound:
                devices = (bound[out.address],)
            if not devices:
                unbound[out.address] = None
            for device in devices:
                planned.statuses.append(
                    StatusChange(device.device_id, out.online, message.received_at)
                )
        elif isinstance(out, Refusal):
            planned.refused += 1
            planned.letters.append(
                letter(message, Reason.SOURCE_REFUSED, out.reason, out.address, message.payload)
            )
    for address in unbound:
        detail = f"no device is bound to {message.kind} {address}"
        planned.letters.append(
            letter(message, Reason.UNBOUND_SOURCE, detail, address, message.payload)
        )
    return planned


def _reading(planned: Planned, message: Message, reading: Reading, bound: Bound) -> None:
    device_type = bound.entry.type
    if reading.kind == BINARY:
        resolved = binary_kind(device_type, reading)
        if resolved is None:
            return  # means nothing for this type (a motion sensor's "off"): nothing to store
        reading = resolved
    event = reading.event()
    extra_source = {SOURCE_KEY: message.kind}
    if reading.message_id is not None:
        extra_source[MESSAGE_ID_KEY] = reading.message_id
    for key, value in extra_source.items():
        event.setdefault(key, value)
    try:
        raw = orjson.dumps(event)
    except (orjson.JSONEncodeError, TypeError):
        planned.refused += 1
        planned.letters.append(
            letter(
                message,
                Reason.SOURCE_REFUSED,
                "the adapter's reading could not be serialised",
                reading.address,
                message.payload,
            )
        )
        return
    decoded = decode_events(bound.device_id, raw, message.received_at)
    kept, wrong, unexpected = check_kinds(device_type, decoded.events)
    for refusal in decoded.refusals:
        planned.refused += 1
        planned.letters.append(
            letter(
                message,
                refusal.reason,
                refusal.detail,
                reading.address,
                raw,
                device_id=bound.device_id,
            )
        )
    for event_ in wrong:
        planned.refused += 1
        detail = f"a {device_type} does not send {event_.kind}"[:200]
        planned.letters.append(
            letter(
                message,
                Reason.KIND_NOT_ALLOWED,
                detail,
                reading.address,
                raw,
                device_id=bound.device_id,
            )
        )
    if kept:
        group = planned.events.get(bound.device_id)
        if group is None:
            group = planned.events[bound.device_id] = DeviceEvents(
                bound.device_id, bound.entry.elder_id
            )
        group.events += kept
        planned.unexpected += [(e, device_type) for e in unexpected]


def letter(
    message: Message,
    reason: Reason,
    detail: str,
    address: str | None,
    payload: bytes,
    *,
    device_id: str | None = None,
) -> DeadLetter:
    """A dead letter of ``message`` that keeps its source and address."""
    return DeadLetter(
        received_at=message.received_at,
        topic=message.topic,
        device_id=device_id,
        reason=reason.value,
        detail=detail[:500],
        payload=bytes(payload[:MAX_PAYLOAD_BYTES]),
        payload_size=len(payload),
        source_kind=message.kind,
        source_address=None if address is None else address[:200],
    )
