"""One MQTT message in: topic and payload decoded, registry checked, handed to the batcher.

``Ingest.handle`` returns at once, with a future that is done when everything the message
produced (events, dead letters, a status change) is committed. The acknowledgement is the
transport's (``gateway.mqtt``): gmqtt's QoS 1 handler is replaced on the client instance,
so gmqtt does not acknowledge when a handler returns; the session keeps each message's
packet id with its batch's future, and when the batch's transaction has committed sends the
PUBACKs of all its messages together, in one socket write. A batch that is given up leaves
its messages unacknowledged, and the broker delivers them again. The hot path (a device
the in-memory registry holds) makes no database round trip and logs nothing; a device it
does not hold is asked of the database before its message is refused (``gateway.misses``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from devices.ingest_repo import DeadLetter, StatusChange
from devices.kind_check import check_kinds
from devices.registry import DeviceEntry, Registry
from devices.schema import (
    Channel,
    Event,
    Reason,
    Topic,
    decode_events,
    decode_status,
    parse_topic,
)
from gateway import metrics
from gateway.batcher import Batcher
from gateway.kinds import raise_unexpected, refused_letters
from gateway.misses import Held, Misses
from store.pool import Pool

DEAD_LETTER_PAYLOAD_MAX = 4096
_ESCAPED_NUL: Final = b"\\u0000"
_TOPIC_CACHE_MAX = 100_000
_UNSEEN: Final = Topic("", Channel.EVENTS)

_REFUSED = {reason: metrics.EVENTS_REFUSED.labels(reason=reason.value) for reason in Reason}


class Ingest:
    """``misses`` must run (``misses.run``) for messages of devices the registry does not
    hold to be looked up."""

    def __init__(self, root: str, registry: Registry, batcher: Batcher, pool: Pool) -> None:
        self._root = root
        self._registry = registry
        self._batcher = batcher
        self._topics: dict[str, Topic | None] = {}
        self.misses = Misses(registry, pool, self._settle, closing=lambda: batcher.closing)

    def handle(self, topic: str, payload: bytes, redelivered: bool = False) -> asyncio.Future[Any]:
        """Decode and batch one message; the result is done when its batch is committed.

        ``redelivered`` is the MQTT DUP bit: the broker sent this message before, and the
        gateway may have stored it without acknowledging it.

        Not a coroutine: the transport waits on the batch's future itself (no task per
        message on a path taken tens of thousands of times a second). Raises
        ``NotAcknowledgedError`` when the gateway is stopping.
        """
        futures = self._accept(topic, payload, datetime.now(UTC), redelivered)
        if len(futures) == 1:
            return futures[0]
        return asyncio.gather(*set(futures))

    def _accept(
        self, topic: str, payload: bytes, received_at: datetime, redelivered: bool
    ) -> list[asyncio.Future[None]]:
        parsed = self._topics.get(topic, _UNSEEN)
        if parsed is _UNSEEN:
            parsed = self._parse(topic)
        if parsed is None:
            detail = f"topic is not {self._root}/dev/<device id>/events or /status"
            return [
                self._dead(
                    received_at, topic, None, Reason.BAD_TOPIC, detail=detail, payload=payload
                )
            ]
        entry = self._registry.get(parsed.device_id)
        if entry is None:
            return [self._missed(topic, parsed, payload, received_at, redelivered)]
        return self._known(topic, parsed, entry, payload, received_at, redelivered=redelivered)

    def _missed(
        self, topic: str, parsed: Topic, payload: bytes, received_at: datetime, redelivered: bool
    ) -> asyncio.Future[None]:
        """A device the registry does not hold: held until the database is asked (or, when
        it said lately that there is no such device, refused in a moment)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        held = Held(topic, parsed, payload, received_at, redelivered, done)
        return self.misses.hold(parsed.device_id, held)

    def _settle(self, held: Held, entry: DeviceEntry | None) -> list[asyncio.Future[None]]:
        """A held message once its device was looked up (None: not registered)."""
        if entry is None:
            return [
                self._unknown(held.topic, held.parsed.device_id, held.payload, held.received_at)
            ]
        return self._known(
            held.topic,
            held.parsed,
            entry,
            held.payload,
            held.received_at,
            redelivered=held.redelivered,
        )

    def _unknown(
        self, topic: str, device_id: str, payload: bytes, received_at: datetime
    ) -> asyncio.Future[None]:
        detail = "device is not registered"
        return self._dead(
            received_at, topic, device_id, Reason.UNKNOWN_DEVICE, detail=detail, payload=payload
        )

    def _known(
        self,
        topic: str,
        parsed: Topic,
        entry: DeviceEntry,
        payload: bytes,
        received_at: datetime,
        *,
        redelivered: bool,
    ) -> list[asyncio.Future[None]]:
        device_id = parsed.device_id
        if parsed.channel is Channel.STATUS:
            online = decode_status(payload)
            if online is None:
                detail = 'status must be "online" or "offline"'
                return [
                    self._dead(
                        received_at,
                        topic,
                        device_id,
                        Reason.BAD_STATUS,
                        detail=detail,
                        payload=payload,
                    )
                ]
            return [self._batcher.add_status(StatusChange(device_id, online, received_at))]
        decoded = decode_events(device_id, payload, received_at)
        events, wrong, unexpected = check_kinds(entry.type, decoded.events)
        futures = [
            self._dead(received_at, topic, device_id, r.reason, detail=r.detail, payload=r.payload)
            for r in decoded.refusals
        ]
        if wrong or unexpected:
            raise_unexpected(unexpected, entry.type)
            futures += self._refuse_kinds(wrong, decoded.events, entry.type, topic, payload)
        if events and _ESCAPED_NUL in payload:
            # JSON can carry a NUL only escaped; without one, no extra field needs the check.
            events = self._storable(events, topic, futures)
        if events:
            # Last, so that this future is of the batch that a critical event may cut now.
            futures.append(
                self._batcher.add_events(
                    events, entry.elder_id, received_at.timestamp(), redelivered=redelivered
                )
            )
        return futures

    def _refuse_kinds(
        self,
        wrong: Sequence[Event],
        decoded: list[Event],
        device_type: str,
        topic: str,
        payload: bytes,
    ) -> list[asyncio.Future[None]]:
        """Events of kinds the device's type does not send become dead letters."""
        letters = refused_letters(
            wrong,
            decoded,
            device_type,
            topic=topic,
            payload=payload,
            received_at=decoded[0].received_at,
            payload_max=DEAD_LETTER_PAYLOAD_MAX,
        )
        _REFUSED[Reason.KIND_NOT_ALLOWED].inc(len(letters))
        return [self._batcher.add_dead_letter(letter) for letter in letters]

    def _parse(self, topic: str) -> Topic | None:
        # Each device sends on the same two topics again and again: parse each once.
        if len(self._topics) >= _TOPIC_CACHE_MAX:
            self._topics.clear()
        parsed = self._topics[topic] = parse_topic(topic, self._root)
        return parsed

    def _storable(
        self, events: list[Event], topic: str, futures: list[asyncio.Future[None]]
    ) -> list[Event]:
        """PostgreSQL's jsonb refuses the NUL character: such an event is a dead letter here
        rather than a failed batch later."""
        if all(e.extra is None for e in events):
            return events
        kept: list[Event] = []
        for event in events:
            if event.extra is not None:
                dumped = orjson.dumps(event.extra, default=str)
                if b"\\u0000" in dumped:
                    detail = "extra fields hold a NUL character"
                    futures.append(
                        self._dead(
                            event.received_at,
                            topic,
                            event.device_id,
                            Reason.BAD_FIELD,
                            detail=detail,
                            payload=dumped,
                        )
                    )
                    continue
            kept.append(event)
        return kept

    def _dead(
        self,
        received_at: datetime,
        topic: str,
        device_id: str | None,
        reason: Reason,
        *,
        detail: str,
        payload: bytes,
    ) -> asyncio.Future[None]:
        _REFUSED[reason].inc()
        letter = DeadLetter(
            received_at=received_at,
            topic=topic,
            device_id=device_id,
            reason=reason.value,
            detail=detail,
            payload=bytes(payload[:DEAD_LETTER_PAYLOAD_MAX]),
            payload_size=len(payload),
        )
        return self._batcher.add_dead_letter(letter)
