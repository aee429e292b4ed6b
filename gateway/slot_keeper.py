"""The slot keeper: one connection of its own that holds this gateway's slot lock, watches
the others' and drains the orphans (``gateway.slots`` says why).

``holding`` is set while the lock of this gateway's own slot is held; the gateway uses the
slot's client id only then (``Gateway`` suspends its MQTT session when it clears). A lost
connection is replaced at once: the lock is claimed again within ``RECLAIM_AT_ONCE_S`` or
``holding`` clears, well before the others' grace period ends and one of them takes the
slot for a drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from gateway import slots_repo
from gateway.slots import (
    GRACE_S,
    POLL_S,
    Drain,
    OrphanWatch,
    SlotLostError,
    SlotNames,
)
from store.pause import pause

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3
# A look at the locks that takes longer than this is a connection gone silent (a half-open
# socket): it is closed and replaced, so the keeper notices within POLL_S + this.
TICK_TIMEOUT_S = 1.0
# After a lost connection: claim the own slot again within this, or stop using it. Notice
# (POLL_S) + this stays well under GRACE_S, when another gateway may take the slot.
RECLAIM_AT_ONCE_S = 0.5


class SlotKeeper:
    """``claim`` this gateway's slot, then ``run`` until ``stop``: keep the lock, claim it
    again first after a lost connection, take and ``drain`` orphaned slots.

    ``clock`` (monotonic seconds) times the grace period; once ``stopping`` is set no new
    orphan is taken."""

    def __init__(
        self,
        url: str,
        names: SlotNames,
        drain: Drain,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll_s: float = POLL_S,
        grace_s: float = GRACE_S,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self._url = url
        self.names = names
        self._drain = drain
        self._clock = clock
        self._poll_s = poll_s
        # Set when the gateway stops: it keeps its slot to the end but takes no new drain
        # (stopped together, the gateways of a deployment would drain each other).
        self._stopping = stopping or asyncio.Event()
        self._watch = OrphanWatch(names.count, grace_s)
        self._conn: AsyncConnection[TupleRow] | None = None
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._lost: set[int] = set()  # drains whose slot another gateway took meanwhile
        self.own: int | None = None
        self.holding = asyncio.Event()  # the own slot's lock is held now
        self.lost = asyncio.Event()  # … and is not (the complement, to wait on)
        self.drained = 0  # orphans drained to the end

    @property
    def client_id(self) -> str:
        assert self.own is not None, "no slot claimed"
        return self.names.client_id(self.own)

    async def claim(self, stop: asyncio.Event) -> int | None:
        """Claim the lowest free slot, waiting while all are held; None when stopped first."""
        waiting = False
        while not stop.is_set():
            try:
                conn = await self._connection()
                for slot in range(self.names.count):
                    if await slots_repo.try_claim(conn, self.names.key, slot):
                        self.own = slot
                        self._watch.mine.add(slot)
                        self._hold(True)
                        log.info("gateway slot %s claimed", self.names.name(slot))
                        return slot
                if not waiting:
                    log.warning("all %s gateway slots are held; waiting for one", self.names.count)
                    waiting = True
            except psycopg.OperationalError as exc:
                await self._drop(exc)
            await pause(stop, self._poll_s)
        return None

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(self._tick(), TICK_TIMEOUT_S)
                except (psycopg.OperationalError, TimeoutError) as exc:
                    await self._drop(exc)
                    await self._replace()
                await pause(stop, self._poll_s)
        finally:
            for task in self._draining.values():
                task.cancel()
            await asyncio.gather(*self._draining.values(), return_exceptions=True)
            if self._conn is not None:
                await self._conn.close()

    async def _tick(self) -> None:
        conn = await self._connection()
        await self._release_drained(conn)
        names = self.names
        held, draining = await slots_repo.held(conn, names.key, names.drain_key)
        for slot in self._watch.observe(held, self._clock(), draining):
            if self._stopping.is_set():
                break
            if not await self._take(conn, slot):
                continue  # another gateway took it first
            log.warning("gateway slot %s orphaned: draining its session", self.names.name(slot))
            self._watch.mine.add(slot)
            self._draining[slot] = asyncio.create_task(
                self._drain(self.names.client_id(slot)), name=f"gateway-drain-{slot}"
            )

    async def _take(self, conn: AsyncConnection[TupleRow], slot: int) -> bool:
        """The drain marker first, then the slot (``SlotNames.drain_key`` says why)."""
        names = self.names
        if not await slots_repo.try_claim(conn, names.drain_key, slot):
            return False
        if await slots_repo.try_claim(conn, names.key, slot):
            return True
        await slots_repo.release(conn, names.drain_key, slot)
        return False

    async def _connection(self) -> AsyncConnection[TupleRow]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        conn = await AsyncConnection.connect(
            self._url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            # pg_stat_activity tells whose lock a slot's is (tests, an operator's look).
            application_name=f"tanfang-slots pid {os.getpid()}",
        )
        self._conn = conn
        self._watch.restart()
        await self._reclaim(conn)
        return conn

    async def _reclaim(self, conn: AsyncConnection[TupleRow]) -> None:
        """After a new connection: our own slot first, then those being drained."""
        key = self.names.key
        if self.own is not None:
            if not await slots_repo.try_claim(conn, key, self.own):
                self._lose()
                raise SlotLostError(
                    f"gateway slot {self.names.name(self.own)} was taken by another gateway "
                    "while the database connection was down"
                )
            log.info("gateway slot %s claimed again", self.names.name(self.own))
            self._hold(True)
        for slot, task in self._draining.items():
            if slot not in self._lost and not await self._take(conn, slot):
                log.warning("gateway slot %s taken by another gateway: drain stopped", slot)
                self._lost.add(slot)
                task.cancel()

    async def _release_drained(self, conn: AsyncConnection[TupleRow]) -> None:
        for slot, task in list(self._draining.items()):
            if not task.done():
                continue
            del self._draining[slot]
            self._watch.mine.discard(slot)
            if slot in self._lost:
                self._lost.discard(slot)
                continue
            if task.cancelled() or task.exception() is not None:
                error = None if task.cancelled() else task.exception()
                log.error("draining gateway slot %s failed: %r", self.names.name(slot), error)
            else:
                self._watch.drained(slot)
                self.drained += 1
                log.info("gateway slot %s drained and released", self.names.name(slot))
            await slots_repo.release(conn, self.names.key, slot)
            await slots_repo.release(conn, self.names.drain_key, slot)

    async def _drop(self, exc: Exception) -> None:
        """The connection failed: every lock it held is gone."""
        log.warning("gateway slot connection lost (%s); reconnecting", type(exc).__name__)
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
        self._conn = None

    async def _replace(self) -> None:
        """A new connection and the own slot's lock at once; failing that, stop using the
        slot and its drains (``holding`` clears) until a later tick claims it again."""
        try:
            await asyncio.wait_for(self._connection(), RECLAIM_AT_ONCE_S)
        except (psycopg.OperationalError, TimeoutError) as exc:
            await self._drop(exc)
            self._lose()

    def _hold(self, held: bool) -> None:
        (self.holding if held else self.lost).set()
        (self.lost if held else self.holding).clear()

    def _lose(self) -> None:
        if self.holding.is_set() and self.own is not None:
            name = self.names.name(self.own)
            log.warning("gateway slot %s not held: its session suspended", name)
        self._hold(False)
        for slot, task in self._draining.items():
            if slot not in self._lost:
                self._lost.add(slot)
                task.cancel()
