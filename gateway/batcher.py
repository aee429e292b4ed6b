"""Batches of decoded messages, cut at N rows or T milliseconds, whichever comes first.

Every message handler appends what it decoded to the open batch and awaits that batch's
``done`` future: the MQTT acknowledgement is sent only when the batch is committed. A
message holding a critical kind is a batch of its own, handed to ``on_critical`` at once so
that it is committed alone, without queueing behind batches that are already waiting for a
writer and without the open batch's background events in its transaction.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange, device_ts_json
from devices.kinds import CRITICAL_KINDS
from devices.retained import RETAINED, RETAINED_KEY
from devices.schema import RECEIVE_TIME_FLAGS, Event
from gateway import metrics


class NotAcknowledgedError(Exception):
    """The message's batch was not committed (shutdown, or the session it came on is gone):
    the message must not be acknowledged, so that the broker delivers it again."""


class Batch:
    """What one transaction will write. Only the event loop's thread touches it."""

    __slots__ = (
        "critical",
        "dead",
        "done",
        "elder_ids",
        "events",
        "keys",
        "received",
        "received_events",
        "statuses",
        "suspects",
        "watched",
    )

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.elder_ids: list[str | None] = []
        self.dead: list[DeadLetter] = []
        self.statuses: dict[str, StatusChange] = {}
        # (device_id, ts, seq) of the batch's events: a repeat within one batch is dropped
        # here, so that RETURNING tells exactly which events were new. Events stored at
        # their receive time are also keyed by (device_id, seq, kind, value, device ts).
        self.keys: set[tuple[object, ...]] = set()
        # time.time() of each message's receipt, for the ingest lag histogram.
        self.received: list[float] = []
        self.received_events = 0
        # (index, redelivered) of events with a seq stored with their receive time: the
        # (device_id, ts, seq) key cannot recognise a second copy of them, so the writer
        # looks them up by seq (ingest_repo); redelivered is the message's MQTT DUP bit.
        # The events of retained deliveries too, looked up by their key.
        self.suspects: list[tuple[int, bool]] = []
        self.critical = False
        # Kinds of the batch's events that an in-transaction step waits for (gateway.steps).
        self.watched: set[str] = set()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def __len__(self) -> int:
        return len(self.events)

    @property
    def empty(self) -> bool:
        return not (self.events or self.dead or self.statuses)

    def status_list(self) -> list[StatusChange]:
        return list(self.statuses.values())


def _repeated_retained(batch: Batch, events: Sequence[Event]) -> bool:
    """A second delivery of one retained payload in ``batch`` (the writer only sees those
    committed before); the first is remembered."""
    copy = (RETAINED, events[0].device_id, (events[0].extra or {}).get(RETAINED_KEY))
    if copy in batch.keys:
        metrics.EVENTS_DUPLICATE.inc(len(events))
        return True
    batch.keys.add(copy)
    return False


class Batcher:
    """Collects messages into batches and hands full or due batches to the writers."""

    def __init__(
        self,
        *,
        max_rows: int,
        max_ms: int,
        max_dead_letters: int,
        on_critical: Callable[[Batch], None],
        watch_kinds: frozenset[str] = frozenset(),
    ) -> None:
        self._max_rows = max_rows
        self._watch = watch_kinds
        self._max_s = max_ms / 1000
        self._max_dead = max_dead_letters
        self._on_critical = on_critical
        self._current: Batch | None = None
        self._ready: deque[Batch] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self.pending_rows = 0

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def depth(self) -> int:
        """Events waiting for a writer (the open batch and cut ones)."""
        return self.pending_rows

    def _open(self) -> Batch:
        batch = self._current
        if batch is None:
            if self._closing:
                raise NotAcknowledgedError("the gateway is stopping")
            batch = self._current = Batch()
            asyncio.get_running_loop().call_later(self._max_s, self._due, batch)
        return batch

    def add_events(
        self,
        events: Sequence[Event],
        elder_id: str | None,
        received: float,
        *,
        redelivered: bool = False,
        retained: bool = False,
    ) -> asyncio.Future[None]:
        """Append one message's events. ``retained`` (the MQTT retain flag): the events are
        keyed by their payload (``devices.retained``), and the writer stores them only when
        no earlier delivery was (nor one of this batch)."""
        critical = _holds_critical(events)
        # A message with a critical kind is a batch of its own, committed at once: it never
        # waits for, nor carries, the background events of the open batch.
        batch = self._alone() if critical else self._open()
        batch.received.append(received)
        batch.received_events += len(events)
        keys = batch.keys
        if retained and events and _repeated_retained(batch, events):
            return batch.done
        before = len(batch.events)
        watch = self._watch
        for event in events:
            if event.seq is not None:
                key = (event.device_id, event.ts, event.seq)
                if key in keys:
                    metrics.EVENTS_DUPLICATE.inc()
                    continue
                if event.flags and not RECEIVE_TIME_FLAGS.isdisjoint(event.flags):
                    # Stored at its receive time, a second copy (a resend, a redelivery) has
                    # a ts of its own: in the batch it is known by what the device sent.
                    copy = (
                        event.device_id,
                        event.seq,
                        event.kind,
                        event.value,
                        device_ts_json(event),
                    )
                    if copy in keys:
                        metrics.EVENTS_DUPLICATE.inc()
                        continue
                    keys.add(copy)
                    batch.suspects.append((len(batch.events), redelivered))
                keys.add(key)
            batch.events.append(event)
            batch.elder_ids.append(elder_id)
            if event.kind in watch:
                batch.watched.add(event.kind)
        self.pending_rows += len(batch.events) - before
        if retained:
            batch.suspects.extend((i, True) for i in range(before, len(batch.events)))
        if critical:
            batch.critical = True
            metrics.EVENTS_RECEIVED.inc(batch.received_events)
            self._on_critical(batch)
        elif len(batch.events) >= self._max_rows:
            self._queue(batch)
        return batch.done

    def _alone(self) -> Batch:
        if self._closing:
            raise NotAcknowledgedError("the gateway is stopping")
        return Batch()

    def add_dead_letter(self, letter: DeadLetter) -> asyncio.Future[None]:
        batch = self._open()
        if len(batch.dead) < self._max_dead:
            batch.dead.append(letter)
        else:
            # A flood of bad input: the message is still acknowledged with its batch, but
            # its dead letter is only counted, so memory and the table stay bounded.
            metrics.DEAD_LETTERS_DROPPED.inc()
        return batch.done

    def add_status(self, change: StatusChange) -> asyncio.Future[None]:
        batch = self._open()
        # The last word of a batch about a device is the one that counts.
        batch.statuses.pop(change.device_id, None)
        batch.statuses[change.device_id] = change
        return batch.done

    def _due(self, batch: Batch) -> None:
        if batch is self._current:
            self._queue(batch)

    def _cut(self, batch: Batch) -> None:
        if batch is self._current:
            self._current = None
            metrics.EVENTS_RECEIVED.inc(batch.received_events)

    def _queue(self, batch: Batch) -> None:
        self._cut(batch)
        self._ready.append(batch)
        self._wake.set()

    def taken(self, batch: Batch) -> None:
        """A writer is done with ``batch`` (committed or given up)."""
        self.pending_rows -= len(batch)

    async def next_batch(self) -> Batch | None:
        """The next batch to write; None once closing and nothing is left."""
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._closing:
                return None
            self._wake.clear()
            await self._wake.wait()

    def close(self) -> None:
        """Take no more messages; what is held is queued for the writers."""
        self._closing = True
        if self._current is not None and not self._current.empty:
            self._queue(self._current)
        self._current = None
        self._wake.set()


def _holds_critical(events: Sequence[Event]) -> bool:
    if len(events) == 1:  # nearly every message
        return events[0].kind in CRITICAL_KINDS
    return any(event.kind in CRITICAL_KINDS for event in events)
