"""The live stream's hub: one follower of the alert change feed per API process, handing each
change to every open stream that may see it.

Each stream is a ``Subscriber`` with a bounded backlog: a client that reads too slowly is
ended (it reconnects with ``Last-Event-ID`` and catches up from the database) rather than
let hold memory without bound. The number of open streams is bounded too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from enum import Enum
from typing import Final

from prometheus_client import Counter, Gauge

from alerting.feed import FeedCursor, Turn, follow, head
from alerting.feed_repo import FeedChange
from store.pool import Pool

log = logging.getLogger(__name__)

# Open streams per API process: each holds a task, a connection and its backlog; a console
# needs one, so this is room for a large call centre.
MAX_STREAMS: Final = 200
# Changes waiting for one client: a minute of a storm. A client further behind is cut off
# and resumes from the database by Last-Event-ID.
MAX_BACKLOG: Final = 1000
# Changes the hub reads at a time.
BATCH: Final = 500

OPEN_STREAMS: Final = Gauge("tanfang_alert_streams", "Live alert streams open in this process")
STREAMS_ENDED: Final = Counter(
    "tanfang_alert_streams_ended",
    "Live alert streams ended by the server, by reason (slow: backlog full; closing)",
    ["reason"],
)


class Ended(Enum):
    SLOW = "slow"  # its backlog was full: the client resumes by Last-Event-ID
    CLOSING = "closing"  # the process is stopping


class StreamEndedError(Exception):
    def __init__(self, reason: Ended) -> None:
        super().__init__(reason.value)
        self.reason = reason


class StreamsFullError(Exception):
    """``MAX_STREAMS`` streams are open in this process (or it is stopping)."""


class Subscriber:
    """One open stream: the changes after ``start`` that it may see, in order."""

    def __init__(self, start: int, visible: Callable[[FeedChange], bool], backlog: int) -> None:
        self.start = start
        self._visible = visible
        self._backlog = backlog
        self._items: deque[FeedChange] = deque()
        self._signal = asyncio.Event()
        self.ended: Ended | None = None

    def offer(self, change: FeedChange) -> None:
        if self.ended is not None or not self._visible(change):
            return
        if len(self._items) >= self._backlog:
            self.end(Ended.SLOW)
            return
        self._items.append(change)
        self._signal.set()

    def end(self, reason: Ended) -> None:
        if self.ended is None:
            self.ended = reason
            STREAMS_ENDED.labels(reason.value).inc()
        self._items.clear()
        self._signal.set()

    async def next(self, wait_s: float) -> FeedChange | None:
        """The next change; None after ``wait_s`` without one. Raises ``StreamEndedError``."""
        while True:
            if self.ended is not None:
                raise StreamEndedError(self.ended)
            if self._items:
                return self._items.popleft()
            self._signal.clear()
            try:
                await asyncio.wait_for(self._signal.wait(), timeout=wait_s)
            except TimeoutError:
                return None


class StreamHub:
    """Follows the feed from the moment it starts (``ready``); ``position``: every change up
    to it has been offered to the subscribers of that moment."""

    def __init__(
        self, pool: Pool, url: str, *, max_streams: int | None = None, backlog: int | None = None
    ) -> None:
        self._pool = pool
        self._url = url
        # Read at start, not at import: a test may lower the module's bounds.
        self._max = MAX_STREAMS if max_streams is None else max_streams
        self._backlog = MAX_BACKLOG if backlog is None else backlog
        self._subscribers: set[Subscriber] = set()
        self._cursor: FeedCursor | None = None
        self._closing = False
        self.ready = asyncio.Event()

    @property
    def position(self) -> int:
        assert self._cursor is not None, "the hub is not ready"
        return self._cursor.position

    def subscribe(self, visible: Callable[[FeedChange], bool]) -> Subscriber:
        """A new stream from the hub's position on. Raises ``StreamsFullError``."""
        if self._closing or len(self._subscribers) >= self._max:
            raise StreamsFullError
        subscriber = Subscriber(self.position, visible, self._backlog)
        self._subscribers.add(subscriber)
        OPEN_STREAMS.set(len(self._subscribers))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        OPEN_STREAMS.set(len(self._subscribers))

    def close(self) -> None:
        """End every stream and refuse new ones: the process is stopping."""
        self._closing = True
        for subscriber in list(self._subscribers):
            subscriber.end(Ended.CLOSING)

    async def turn(self) -> Turn:
        async with self._pool.connection() as conn:
            if self._cursor is None:
                self._cursor = FeedCursor(await head(conn))
                self.ready.set()
            batch = await self._cursor.read(conn, BATCH)
        for change in batch.changes:
            for subscriber in list(self._subscribers):
                subscriber.offer(change)
        moved = batch.position != self._cursor.position
        self._cursor.advance(batch)
        if moved:
            return Turn.MORE
        return Turn.HELD if batch.held else Turn.IDLE

    @contextlib.asynccontextmanager
    async def running(self, stopping: asyncio.Event | None = None) -> AsyncIterator[StreamHub]:
        """Follow the feed while the block runs; end every stream when it ends, or as soon
        as ``stopping`` is set (a server waits for open responses before it stops)."""
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(follow(self._url, stop, self.turn, name="alert-stream"))
            if stopping is not None:
                group.create_task(self._close_on(stopping, stop), name="alert-stream-stopping")
            try:
                yield self
            finally:
                self.close()
                stop.set()

    async def _close_on(self, stopping: asyncio.Event, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        self.close()
