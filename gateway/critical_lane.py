"""The critical lane: critical batches (a message with an sos, fall, smoke or gas) committed
on an event loop, a thread and a pool of their own.

Under load the gateway's loop is busy reading MQTT and writing background batches, and every
``await`` of a coroutine there waits for the loop's turn; an SOS's transaction has a dozen
round trips (the event, its alert, the escalation's first step). On the lane each of them
waits only for the GIL (``store.loop_thread``), and never for a connection behind the
background writers. What the commit's steps do is the same on either loop: they take only
the connection they are given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from store.loop_thread import LoopThread
from store.pool import Pool, make_pool

T = TypeVar("T")

# Connections of the lane: one critical commit rarely waits for another (an SOS flood of a
# few hundred a second is a few milliseconds of database time each).
LANE_CONNECTIONS: Final = 4
OPEN_TIMEOUT_S: Final = 30.0


class CriticalLane:
    def __init__(self, url: str, *, connections: int = LANE_CONNECTIONS) -> None:
        self._url = url
        self._connections = connections
        self._thread: LoopThread | None = None
        self._pool: Pool | None = None

    async def __aenter__(self) -> Self:
        self._thread = LoopThread("ingest-critical")
        self._pool = await self._thread.run(self._open())
        return self

    async def _open(self) -> Pool:
        pool = make_pool(
            self._url,
            min_size=self._connections,
            max_size=self._connections,
            name="critical-lane",
        )
        await pool.open(wait=True, timeout=OPEN_TIMEOUT_S)
        return pool

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        thread, pool = self._thread, self._pool
        self._thread = self._pool = None
        if thread is None:
            return
        try:
            if pool is not None:
                await thread.run(pool.close())
        finally:
            await asyncio.to_thread(thread.close)

    async def run(self, work: Callable[[Pool], Coroutine[Any, Any, T]]) -> T:
        """``work(pool)`` on the lane's loop with the lane's pool, awaited from here."""
        thread, pool = self._thread, self._pool
        if thread is None or pool is None:
            raise RuntimeError("the critical lane is not open")
        return await thread.run(work(pool))
