"""One detection leader among the gateways of a deployment, elected through PostgreSQL.

Every gateway process tries for one session-level advisory lock (the slots' two-key locks,
``gateway.slots_repo``, under a key of its own) on a connection of its own; the one that
holds it runs the detectors. A leader that dies closes its connection and frees the lock at
once: another gateway's next try (every ``POLL_S``) takes it. A database restart frees every
lock: the leader's check (``holds``) fails on its dead connection, it stops leading, drops
what it knew, and competes again — the new leader, whichever it is, rebuilds its state from
the database. Why one leader, not state in the database: docs/detection.md ("Where
detection runs")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from gateway import slots_repo
from gateway.slots import lock_key
from store.pause import pause

log = logging.getLogger(__name__)

# How often a follower tries for the lock (a dead leader is replaced within about this).
POLL_S: Final = 1.0
CONNECT_TIMEOUT_S: Final = 3


class Leadership:
    """The detection lock of the database (advisory locks are per database), held on a
    dedicated connection."""

    def __init__(self, url: str, *, poll_s: float = POLL_S) -> None:
        self._url = url
        self.key = lock_key("tanfang.detect")
        self.poll_s = poll_s
        self._conn: AsyncConnection[TupleRow] | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process leads; False when ``stop`` came first."""
        while not stop.is_set():
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await AsyncConnection.connect(
                        self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                    )
                if await slots_repo.try_claim(self._conn, self.key, 0):
                    log.info("detection: this gateway leads")
                    return True
            except psycopg.OperationalError as exc:
                await self._drop(exc)
            await pause(stop, self.poll_s)
        return False

    async def holds(self) -> bool:
        """Still the leader: the lock's connection is alive (a lost one lost the lock)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            await self._conn.execute("SELECT 1")
        except psycopg.OperationalError as exc:
            await self._drop(exc)
            return False
        return True

    async def release(self) -> None:
        """Step down: closing the connection frees the lock."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
        self._conn = None

    async def _drop(self, exc: Exception) -> None:
        log.warning("detection: leader connection lost (%s)", type(exc).__name__)
        await self.release()
