"""Work on an event loop of its own, in a thread of its own (store.loop_thread)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from store.loop_thread import LoopThread, run_in_thread
from tests.gateway.helpers import poll, probe


async def test_work_runs_on_the_thread_and_its_result_comes_back() -> None:
    thread = LoopThread("elsewhere")
    try:

        async def where() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        assert await thread.run(where()) == "elsewhere"
    finally:
        thread.close()


async def test_stop_here_stops_the_work_there() -> None:
    stop = asyncio.Event()
    seen: list[str] = []

    async def main(own_stop: asyncio.Event) -> None:
        seen.append("started")
        await own_stop.wait()
        seen.append(threading.current_thread().name)

    running = asyncio.create_task(run_in_thread("worker", main, stop))
    await poll(probe(lambda: list(seen)), bool, what="started on its own loop")
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert seen == ["started", "worker"]


async def test_an_error_there_is_raised_here() -> None:
    async def main(own_stop: asyncio.Event) -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await asyncio.wait_for(run_in_thread("failing", main, asyncio.Event()), timeout=10)


async def test_stopped_before_it_started_it_still_stops() -> None:
    stop = asyncio.Event()
    stop.set()

    async def main(own_stop: asyncio.Event) -> None:
        await own_stop.wait()

    await asyncio.wait_for(run_in_thread("late", main, stop), timeout=10)
