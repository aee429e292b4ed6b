"""An event loop in a thread of its own, for work that must not wait behind the main loop.

One process carries the MQTT session, ingest batches and the API on one event loop; under
load every ``await`` of a coroutine there waits for the loop's turn (a few to tens of
milliseconds), and an SOS's path has a dozen of them. A ``LoopThread`` runs coroutines on a
second loop, in a second thread: a wake-up there waits only for the GIL, which the busy main
thread gives up at each socket call and at least every switch interval (5 ms by default).
What runs on it must own its connections (a pool opened on that loop): asyncio and psycopg
objects belong to the loop that made them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """A started thread running an event loop until ``close``."""

    def __init__(self, name: str) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``work`` on this thread's loop; its result or error comes in the future."""
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """``work`` run on this thread's loop, awaited from the caller's loop. Cancelling the
        caller cancels the work."""
        return await asyncio.wrap_future(self.submit(work))

    def close(self) -> None:
        """Stop the loop (what still runs there is abandoned) and wait for the thread."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()


async def run_in_thread(
    name: str, main: Callable[[asyncio.Event], Coroutine[Any, Any, None]], stop: asyncio.Event
) -> None:
    """``main(own_stop)`` on a loop of its own in thread ``name``, until it returns (its error
    is raised here); ``own_stop`` is set on that loop when ``stop`` is set here. Cancelled,
    it stops ``main`` the same way and waits for it."""
    thread = LoopThread(name)
    # Bound to the thread's loop when ``main`` first waits on it; set only from that loop.
    own_stop = asyncio.Event()
    running: asyncio.Future[None] = asyncio.wrap_future(thread.submit(main(own_stop)))
    watching: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((running, watching), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watching.cancel()
        thread.loop.call_soon_threadsafe(own_stop.set)
        # Shielded: a cancelled caller still lets ``main`` finish its own stop.
        try:
            await asyncio.shield(running)
        finally:
            await asyncio.to_thread(thread.close)
