"""Every alert change on MQTT, for sirens and local displays: ``{root}/alerts/{town}`` (QoS 1,
not retained; ``{root}/alerts/_system`` for an alert of no town), the payload
``alerting.feed.change_object``.

One publisher at a time across gateways: a turn takes a PostgreSQL advisory lease for its
transaction (a gateway finding it taken skips the turn), reads the saved position
(``alert_feed_cursors``, row ``mqtt:<topic root>``), publishes the changes after it, waits
for the broker's PUBACKs, and saves the new position in the same transaction. A gateway
that dies or loses the broker mid-turn saved nothing: the next turn, here or in another
gateway, sends those changes again — at least once, never lost; a receiver tells a repeat
by its ``id``. The first start begins at the changes made from then on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final

import orjson
from prometheus_client import Counter

from alerting import feed_repo
from alerting.feed import FeedCursor, Turn, change_object, follow, head
from alerting.feed_repo import FeedChange
from alerting.health_repo import try_lease
from gateway.mqtt import MqttSession
from store.db import Conn
from store.pool import Pool

log = logging.getLogger(__name__)

LEASE: Final = "tanfang.alerts.mqtt"
SYSTEM_TOPIC: Final = "_system"
# Changes a turn: after a crash mid-turn at most this many are sent again.
BATCH: Final = 100
# QoS 1 publishes sent before waiting for their PUBACKs: under Mosquitto's default receive
# maximum (20); MQTT 5 forbids a client more unacknowledged publishes than the broker's.
PUBLISH_WINDOW: Final = 10
# A broker that has not acknowledged a window by then: the turn fails and is tried again.
FLUSH_TIMEOUT_S: Final = 10.0
# Characters that a topic level cannot hold as they are ('/' splits levels, '+' and '#' are
# wildcards a PUBLISH may not carry): a town name holding one is published with '_'.
_NOT_IN_LEVEL: Final = str.maketrans({"/": "_", "+": "_", "#": "_", "\0": "_"})

PUBLISHED: Final = Counter(
    "tanfang_alert_changes_published",
    "Alert changes published on {root}/alerts/{town} and acknowledged by the broker",
)


class PublishError(Exception):
    """The broker did not acknowledge every change of a turn."""


def alert_topic(root: str, town: str | None) -> str:
    """``{root}/alerts/{town}``: the town as registered, ``_system`` without one."""
    level = town.translate(_NOT_IN_LEVEL) if town else SYSTEM_TOPIC
    return f"{root}/alerts/{level}"


class AlertPublisher:
    """Publishes the alert change feed on the gateway's MQTT session."""

    def __init__(
        self,
        pool: Pool,
        session: MqttSession,
        topic_root: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._session = session
        self._root = topic_root
        self._clock = clock
        self.name = f"mqtt:{topic_root}"
        self._cursor: FeedCursor | None = None

    async def run(self, url: str, stop: asyncio.Event) -> None:
        await follow(url, stop, self.turn, name="alert-mqtt")

    async def turn(self) -> Turn:
        """One turn under the lease: publish what is new, save where it ended."""
        if not self._session.connected:
            return Turn.BLOCKED
        async with self._pool.connection() as conn, conn.transaction():
            if not await try_lease(conn, LEASE):
                return Turn.IDLE
            cursor = await self._load(conn)
            batch = await cursor.read(conn, BATCH)
            if batch.changes:
                await self._publish(batch.changes)
            if batch.position != cursor.position:
                await feed_repo.save_cursor(conn, self.name, batch.position, self._clock())
        moved = batch.position != cursor.position
        cursor.advance(batch)
        PUBLISHED.inc(len(batch.changes))
        if moved:
            return Turn.MORE
        return Turn.HELD if batch.held else Turn.IDLE

    async def _load(self, conn: Conn) -> FeedCursor:
        """The cursor at the saved position (another gateway may have moved it)."""
        stored = await feed_repo.cursor(conn, self.name)
        if stored is None:
            stored = await head(conn)
            await feed_repo.save_cursor(conn, self.name, stored, self._clock())
            log.info("alert changes on MQTT start after change %s", stored)
        if self._cursor is None or self._cursor.position != stored:
            self._cursor = FeedCursor(stored)
        return self._cursor

    async def _publish(self, changes: Sequence[FeedChange]) -> None:
        session = self._session
        connections = session.connections
        for start in range(0, len(changes), PUBLISH_WINDOW):
            for change in changes[start : start + PUBLISH_WINDOW]:
                topic = alert_topic(self._root, change.town)
                session.publish(topic, orjson.dumps(change_object(change)))
            flushed = await session.flushed(FLUSH_TIMEOUT_S)
            if not flushed or session.connections != connections:
                raise PublishError("the broker did not acknowledge every alert change")
