"""The alert change feed: every ``alert_timeline`` row is a change (``opened``, ``acked``,
``notified``, ``resolved``, …), read in id order by followers — the gateway's MQTT publisher,
the API's live stream — without ever stepping over a change committed late.

Ids are drawn in one order and committed in another. Migration 0044 draws each id under a
shared advisory lock held until its transaction ends; a ``FeedCursor`` moves past the last
id drawn, N, only once every transaction that held the lock after N was drawn has ended:
then every id up to N is committed (and visible) or rolled back for good. It waits for
transactions that write alert changes only, never for an unrelated long one.

Followers wake on ``LISTEN tanfang_alert_changes`` (``store.listen.Wakeup``, notified at commit),
read from their own position, and look again every ``IDLE_WAKE_S`` as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from prometheus_client import Counter

from alerting import feed_repo
from alerting.feed_repo import FeedChange
from alerting.notices import alert_object
from store.db import Conn
from store.listen import Wakeup

log = logging.getLogger(__name__)

CHANNEL: Final = "tanfang_alert_changes"
# New ids whose transactions are still open are looked at again this often until those end.
# Their commits wake the follower at once (NOTIFY); this is for a transaction that aborts.
HELD_POLL_S: Final = 0.1
# A follower reads even without a notification this often: a safety net for a notification
# lost with the listening link, and how soon a standby MQTT publisher takes over.
IDLE_WAKE_S: Final = 5.0
# After a failed turn (the database down), the next try.
RETRY_S: Final = 1.0
# Changes held back this long by an open transaction that wrote one: logged, once.
HELD_WARN_S: Final = 10.0

FEED_FAILURES: Final = Counter(
    "tanfang_alert_feed_failures",
    "Turns of an alert change follower (MQTT publisher, live stream) that failed",
    ["follower"],
)


class Turn(Enum):
    """How a follower's turn went, which says when the next one is."""

    MORE = "more"  # read again at once
    IDLE = "idle"  # nothing new: wait for a notification
    HELD = "held"  # new changes are still being written: look again soon
    BLOCKED = "blocked"  # they cannot be handed on now (the broker is down): after RETRY_S
    FAILED = "failed"  # the turn raised: try again after RETRY_S


@dataclass(frozen=True, slots=True)
class Batch:
    """Changes read: ``position`` is where the reader stands once they are handed on."""

    changes: list[FeedChange]
    position: int
    held: bool = False


class FeedCursor:
    """A reader's place: every change up to ``position`` is handled. ``read`` returns the
    next changes and where the reader would stand after them; ``advance`` moves there once
    they are handed on (a reader that failed to hand them on reads them again)."""

    def __init__(self, position: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.position = position
        self._final = position  # every id up to here is committed or gone for good
        self._waiting: tuple[int, frozenset[str]] | None = None
        self._clock = clock
        self._held_since: float | None = None
        self._warned = False

    async def read(self, conn: Conn, limit: int) -> Batch:
        """Up to ``limit`` changes after ``position``, oldest first. An empty batch at the
        same position: nothing new (``held``: new ids are still being written)."""
        if self._final <= self.position:
            await self._settle(conn)
        if self._final <= self.position:
            return Batch([], self.position, held=self._waiting is not None)
        found = await feed_repo.changes(conn, after=self.position, upto=self._final, limit=limit)
        end = found[-1].id if len(found) == limit else self._final
        return Batch(found, end)

    def advance(self, batch: Batch) -> None:
        self.position = max(self.position, batch.position)

    async def _settle(self, conn: Conn) -> None:
        """Move ``_final`` up to the last id drawn once its writers have ended. The last id
        is read before the writers: a transaction that drew an id up to it holds the lock
        when they are read, or has ended."""
        if self._waiting is None:
            last = await feed_repo.last_change_id(conn)
            if last <= self._final:
                return
            writers = await feed_repo.change_writers(conn)
        else:
            last, before = self._waiting
            writers = await feed_repo.change_writers(conn, among=before)
        if writers:
            self._waiting = (last, writers)
            self._note_held(writers)
            return
        self._waiting = None
        self._held_since = None
        self._warned = False
        self._final = last

    def _note_held(self, writers: frozenset[str]) -> None:
        now = self._clock()
        if self._held_since is None:
            self._held_since = now
        elif now - self._held_since > HELD_WARN_S and not self._warned:
            self._warned = True
            log.warning(
                "alert changes held back %.0fs by open transactions (virtual ids %s)",
                now - self._held_since,
                sorted(writers)[:3],
            )


async def head(conn: Conn) -> int:
    """The last change id, once every transaction writing a change up to it has ended: a
    new follower starts here (changes after it are new to it)."""
    last = await feed_repo.last_change_id(conn)
    writers = await feed_repo.change_writers(conn)
    while writers:
        await asyncio.sleep(HELD_POLL_S)
        writers = await feed_repo.change_writers(conn, among=writers)
    return last


def change_object(change: FeedChange) -> dict[str, Any]:
    """A change as MQTT carries it: its id (text), kind, time, the elder's town and the
    contract's alert object (no names: the wire carries ids only)."""
    return {
        "id": str(change.id),
        "change": change.change,
        "at": change.at.isoformat(),
        "town": change.town,
        "alert": alert_object(change.alert),
    }


_PAUSE: Final = {
    Turn.IDLE: IDLE_WAKE_S,
    Turn.HELD: HELD_POLL_S,
    Turn.BLOCKED: RETRY_S,
    Turn.FAILED: RETRY_S,
}


async def follow(
    url: str, stop: asyncio.Event, turn: Callable[[], Awaitable[Turn]], *, name: str
) -> None:
    """Run ``turn`` on every wake until ``stop``: at once after a ``MORE``, else on the next
    notification or after the turn's pause. A turn that raises is counted, logged once while
    it keeps failing, and tried again after ``RETRY_S``."""
    listener = Wakeup(url, CHANNEL)
    async with asyncio.TaskGroup() as group:
        group.create_task(listener.run(stop), name=f"{name}-listen")
        failing = False
        while not stop.is_set():
            listener.woken.clear()
            try:
                outcome = await turn()
            except Exception as exc:
                # The database down, or a bug: the follower must not stop the process it runs
                # in (the gateway's ingest, the API); class and SQLSTATE only.
                FEED_FAILURES.labels(name).inc()
                if not failing:
                    log.error(
                        "%s failed (%s, SQLSTATE %s); trying again",
                        name,
                        type(exc).__name__,
                        getattr(exc, "sqlstate", None),
                    )
                failing = True
                outcome = Turn.FAILED
            else:
                if failing:
                    log.info("%s works again", name)
                failing = False
            if outcome is not Turn.MORE:
                await listener.wait(stop, _PAUSE[outcome])
