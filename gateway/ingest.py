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

Whatever a message contains, its handling ends with the message stored or dead-lettered:
the decoder never raises on content, and a last-resort guard makes any other exception of
one message's handling a dead letter (``internal_error``, payload kept), counted in
``tanfang_handler_failures_total`` — never an exception out of the handler, which would
leave the message unacknowledged, holding a slot of the broker's window for ever.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange
from devices.kind_check import check_kinds
from devices.kinds import CRITICAL_KINDS
from devices.registry import DeviceEntry, Registry
from devices.retained import keyed
from devices.schema import (
    MAX_PAYLOAD_BYTES,
    Channel,
    Event,
    Reason,
    Topic,
    decode_events,
    decode_status,
    parse_topic,
)
from gateway import metrics
from gateway.batcher import Batcher, NotAcknowledgedError
from gateway.kinds import raise_unexpected, refused_letters
from gateway.misses import Held, Misses
from store.pool import Pool

log = logging.getLogger(__name__)

# A dead letter keeps the whole payload up to the broker's message size limit, so that a
# later replay of the dead letters can redo what was refused.
DEAD_LETTER_PAYLOAD_MAX: Final = MAX_PAYLOAD_BYTES
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

    def handle(
        self, topic: str, payload: bytes, redelivered: bool = False, retained: bool = False
    ) -> asyncio.Future[Any]:
        """Decode and batch one message; the result is done when its batch is committed.

        ``redelivered`` is the MQTT DUP bit: the broker sent this message before, and the
        gateway may have stored it without acknowledging it. ``retained`` is the retain flag
        of the delivery: its events are stored once per distinct payload.

        Not a coroutine: the transport waits on the batch's future itself (no task per
        message on a path taken tens of thousands of times a second). Raises
        ``NotAcknowledgedError`` when the gateway is stopping, and nothing else.
        """
        received_at = datetime.now(UTC)
        try:
            futures = self._accept(topic, payload, received_at, redelivered, retained)
        except NotAcknowledgedError:
            raise
        except Exception as exc:  # the last resort: see the module's docstring
            return self._failed(topic, payload, received_at, exc)
        if len(futures) == 1:
            return futures[0]
        return asyncio.gather(*set(futures))

    def _failed(
        self, topic: object, payload: object, received_at: datetime, exc: Exception
    ) -> asyncio.Future[None]:
        metrics.HANDLER_FAILURES.inc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        # Class and place only: an exception's text can quote the message's content.
        log.error(
            "handling a message failed (%s at %s:%s); kept as a dead letter (internal_error)",
            type(exc).__name__,
            where.filename,
            where.lineno,
        )
        return self._dead(
            received_at,
            _text(topic),
            None,
            Reason.INTERNAL_ERROR,
            detail=f"handling failed ({type(exc).__name__})",
            payload=_bytes(payload),
        )

    def _accept(
        self,
        topic: str,
        payload: bytes,
        received_at: datetime,
        redelivered: bool,
        retained: bool,
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
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            held = Held(topic, parsed, payload, received_at, redelivered, retained, done)
            return [self.misses.hold(parsed.device_id, held)]
        return self._known(topic, parsed, entry, payload, received_at, redelivered, retained)

    def _settle(self, held: Held, entry: DeviceEntry | None) -> list[asyncio.Future[None]]:
        """A held message once its device was looked up (None: not registered)."""
        try:
            if entry is None:
                return [self._unknown(held)]
            return self._known(
                held.topic,
                held.parsed,
                entry,
                held.payload,
                held.received_at,
                held.redelivered,
                held.retained,
            )
        except NotAcknowledgedError:
            raise
        except Exception as exc:  # the same last resort as ``handle``'s
            return [self._failed(held.topic, held.payload, held.received_at, exc)]

    def _unknown(self, held: Held) -> asyncio.Future[None]:
        device_id = held.parsed.device_id
        detail = "device is not registered"
        if held.parsed.channel is Channel.EVENTS:
            detail = _loud_if_critical(device_id, held.payload, held.received_at, detail)
        return self._dead(
            held.received_at,
            held.topic,
            device_id,
            Reason.UNKNOWN_DEVICE,
            detail=detail,
            payload=held.payload,
        )

    def _known(  # noqa: PLR0917 - one message's facts, passed on from two callers
        self,
        topic: str,
        parsed: Topic,
        entry: DeviceEntry,
        payload: bytes,
        received_at: datetime,
        redelivered: bool,
        retained: bool,
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
        if events:
            if retained:
                events = keyed(events, device_id, payload)
            # Last, so that this future is of the batch that a critical event may cut now.
            futures.append(
                self._batcher.add_events(
                    events,
                    entry.elder_id,
                    received_at.timestamp(),
                    redelivered=redelivered,
                    retained=retained,
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


def _loud_if_critical(device_id: str, payload: bytes, received_at: datetime, detail: str) -> str:
    """A critical event from an unregistered device reaches nobody: never silently."""
    decoded = decode_events(device_id, payload, received_at)
    kinds = sorted({e.kind for e in decoded.events if e.kind in CRITICAL_KINDS})
    if not kinds:
        return detail
    metrics.CRITICAL_UNREGISTERED.inc()
    log.error(
        "critical event (%s) from unregistered device %s: dead-lettered, it reaches nobody",
        ",".join(kinds),
        device_id,
    )
    return f"{detail}; it sent {','.join(kinds)}"


# The guard's inputs are whatever the transport handed over (gmqtt passes a topic that is
# not UTF-8 as bytes): made storable whatever they are.
def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "replace")
    text = value if isinstance(value, str) else repr(value)
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode()


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return repr(value).encode("utf-8", "replace")
