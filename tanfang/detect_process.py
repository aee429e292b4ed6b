"""The detectors in a process of their own, started and watched by every gateway process.

A leader's turn reads every event committed since the last one and sweeps every home: pure
Python and numpy work of tens of milliseconds each ``TANFANG_DETECT_INTERVAL_S``. On a
thread of the gateway's process it held the interpreter lock against the loop that ingests,
and every wake-up of that loop waited for it (an SOS's publish → webhook p99 went from
240 ms to 640 ms under 5 000 events/s). In a process of its own it shares nothing with
ingest but the machine's cores.

The parent writes one JSON line on the child's stdin, ``{"database_url", "config"}`` (the
fields of ``DetectConfig``; so the database's password is never on a command line), then
keeps the pipe open: its end (the parent stopped, or was killed) stops the child, which
releases the lead for another gateway. SIGTERM and SIGINT stop it too.

Run: ``python -m tanfang.detect_process`` (by ``tanfang.detect_launch.run_detection`` only)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any, Final

from gateway.detection import DetectConfig, Detection
from store.pool import open_pool
from tanfang.logs import setup_logging

# The detection's own connections: the feed and the sweep's alerts (the leader's lock has a
# dedicated connection besides).
POOL_MAX: Final = 2


async def _parent_gone(stop: asyncio.Event) -> None:
    """Set ``stop`` when stdin ends: the parent closed it or died."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass
    stop.set()


async def detect(order: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watching = asyncio.create_task(_parent_gone(stop), name="parent-watch")
    config = DetectConfig(**order["config"])
    url = str(order["database_url"])
    try:
        async with open_pool(url, max_size=POOL_MAX) as pool:
            await Detection(pool, url, config).run(stop)
    finally:
        watching.cancel()


def main() -> None:
    setup_logging()
    order = json.loads(sys.stdin.readline())
    asyncio.run(detect(order))


if __name__ == "__main__":
    main()
