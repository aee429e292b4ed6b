"""The gateway's message path without the broker: ``Ingest.handle`` → batcher → writer →
the real PostgreSQL, as ``gateway.mqtt`` drives it (one call per message, the returned
future awaited for the acknowledgement)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from devices.registry import Registry
from gateway.ingest import Ingest
from gateway.writer import Writer
from store.pool import Pool
from tests.gateway.helpers import register

ACK_DEADLINE_S = 15.0


@dataclass
class IngestPath:
    ingest: Ingest
    writer: Writer
    writing: asyncio.Task[None]

    async def acked(
        self, topic: str, payload: bytes, *, redelivered: bool = False, retained: bool = False
    ) -> None:
        """Hand one message over and wait for its acknowledgement: its future must end done,
        without an exception (the transport then sends the PUBACK)."""
        if retained:
            future = self.ingest.handle(topic, payload, redelivered, retained)
        else:
            future = self.ingest.handle(topic, payload, redelivered)
        done, _ = await asyncio.wait({future}, timeout=ACK_DEADLINE_S)
        assert done, "the message was never acknowledged"
        assert future.exception() is None, f"not acknowledged: {future.exception()!r}"


async def register_typed(
    url: str, devices: Iterable[tuple[str, str]], elder_id: str = "KP-1"
) -> None:
    """An elder and her devices of the given types (``helpers.register`` type by type)."""
    for device_id, device_type in devices:
        await register(url, [device_id], elder_id, device_type=device_type)


@asynccontextmanager
async def ingest_path(
    database_url: str, pool: Pool, root: str, **writer: Any
) -> AsyncIterator[IngestPath]:
    """Registry loaded from the database, writers running; on exit everything held is
    committed and the writers must have stopped without an error."""
    registry = Registry()
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await registry.load(conn)
    options: dict[str, Any] = {"max_rows": 5000, "max_ms": 5, "max_dead_letters": 1000}
    options.update(writer)
    writer_ = Writer(pool, **options)
    writing = asyncio.create_task(writer_.run(), name="test-writers")
    ingest = Ingest(root, registry, writer_.batcher, pool)
    # Messages of devices the registry does not hold wait for their lookup, as in the gateway.
    stop_lookups = asyncio.Event()
    looking_up = asyncio.create_task(ingest.misses.run(stop_lookups), name="test-misses")
    path = IngestPath(ingest, writer_, writing)
    try:
        yield path
        assert not writing.done(), "the writers stopped: the gateway would have exited"
    finally:
        stop_lookups.set()
        await asyncio.wait_for(looking_up, timeout=ACK_DEADLINE_S)
        writer_.batcher.close()
        await asyncio.wait_for(writing, timeout=ACK_DEADLINE_S)
