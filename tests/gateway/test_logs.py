"""Logs name the class and SQLSTATE of a database error, never its text: psycopg's messages
can quote the row that failed (names, ID numbers, phone numbers, payloads)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import psycopg
import pytest

from devices.registry import Registry
from devices.schema import Event
from gateway.upkeep import Upkeep
from gateway.writer import Writer
from store.features import detect
from store.pool import Pool
from tests.gateway.helpers import FaultyPool, fetch, poll, probe, register
from tests.rig.faults import refusing
from tests.rig.ports import free_port

SECRET = "KP-SECRET-0099"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


async def test_a_failing_commit_is_logged_by_class_and_sqlstate_without_row_values(
    pool: Pool, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await register(database_url, ["d1"], elder_id=SECRET)
    now = datetime.now(UTC)
    writer = Writer(pool, max_rows=100, max_ms=10, max_dead_letters=10)
    event = Event(device_id="d1", ts=now, kind="motion", received_at=now, seq=1)
    caplog.set_level(logging.INFO, logger="gateway")
    # The error's text quotes the row (and so the elder's id), as constraint errors do.
    async with refusing(database_url, "events"):
        done = writer.batcher.add_events([event], SECRET, 0.0)
        writing = asyncio.create_task(writer.run())
        await poll(probe(lambda: writer.failing), bool, what="commit failing")
    await asyncio.wait_for(asyncio.shield(done), timeout=15)
    writer.batcher.close()
    await writing
    assert await fetch(database_url, "SELECT elder_id FROM events") == [(SECRET,)]
    text = log_text(caplog)
    assert "RaiseException, SQLSTATE P0001" in text
    assert SECRET not in text
    assert "refused row" not in text


async def test_failing_partition_upkeep_is_logged_without_the_error_text(
    pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    async with pool.connection() as conn:
        features = await detect(conn)
    broken = FaultyPool(pool, [psycopg.OperationalError(f"lost while reading {SECRET}")])
    upkeep = Upkeep(broken.as_pool(), features, days_ahead=1, retention_days=30)
    caplog.set_level(logging.INFO, logger="gateway")
    stop = asyncio.Event()
    running = asyncio.create_task(upkeep.run(stop))
    await poll(probe(lambda: log_text(caplog)), bool, what="upkeep logged")
    stop.set()
    await running
    assert "partition upkeep failed (OperationalError, SQLSTATE None)" in log_text(caplog)
    assert SECRET not in log_text(caplog)


async def test_a_lost_registry_link_is_logged_without_the_error_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql://tanfang:{SECRET}@127.0.0.1:{free_port()}/nowhere"
    caplog.set_level(logging.INFO, logger="devices")
    stop = asyncio.Event()
    running = asyncio.create_task(Registry().run(url, stop))
    await poll(probe(lambda: log_text(caplog)), bool, what="registry logged")
    stop.set()
    await running
    text = log_text(caplog)
    assert "device registry link lost (OperationalError, SQLSTATE None)" in text
    assert "127.0.0.1" not in text
