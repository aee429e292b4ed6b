"""Critical batches are committed on the critical lane (a loop, a thread and connections of
their own); everything else stays on the gateway's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from devices.schema import Event
from gateway.critical_lane import CriticalLane
from gateway.steps import InTransactionStep
from gateway.writer import Writer
from store.db import Conn
from store.pool import Pool
from tests.gateway.helpers import fetch, register

NOW = datetime.now(UTC).replace(microsecond=0)


def event(seq: int, kind: str, device: str = "d1") -> Event:
    return Event(device_id=device, ts=NOW, kind=kind, received_at=NOW, seq=seq)


class ThreadStep:
    """Records on which thread it ran, for which kinds; fails its first run over a batch
    holding ``fail_on`` (the two batches run concurrently, so no order is assumed)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.ran: list[tuple[str, list[str]]] = []
        self.fail_on = fail_on

    async def __call__(
        self, conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]
    ) -> None:
        kinds = [e.kind for e in events]
        self.ran.append((threading.current_thread().name, kinds))
        if self.fail_on in kinds:
            self.fail_on = None
            raise RuntimeError("the step failed")


async def test_a_critical_batch_commits_on_the_lane_and_a_background_batch_on_the_loop(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1", "d2"])
    step = ThreadStep(fail_on="sos")
    failed_on: list[str] = []

    def step_failed(name: str) -> None:
        failed_on.append(threading.current_thread().name)

    async with CriticalLane(database_url, connections=1) as lane:
        writer = Writer(
            pool,
            max_rows=100,
            max_ms=10,
            max_dead_letters=10,
            steps=[InTransactionStep("thread", frozenset({"sos", "checkin"}), step)],
            on_step_failure=step_failed,
            lane=lane,
        )
        writing = asyncio.create_task(writer.run())
        background = writer.batcher.add_events([event(1, "checkin", "d2")], "KP-1", 0.0)
        sos = writer.batcher.add_events([event(2, "sos")], "KP-1", 0.0)
        assert sos is not background, "the press does not wait for the open batch"
        await asyncio.wait_for(asyncio.gather(sos, background), timeout=15)
        writer.batcher.close()
        await writing
    here = threading.current_thread().name
    # The press's first run failed on the lane: it was stored again there without the step,
    # and the gateway's reconcile was told on the gateway's own loop.
    assert sorted(step.ran) == sorted([("ingest-critical", ["sos"]), (here, ["checkin"])])
    assert failed_on == [here]
    assert await fetch(database_url, "SELECT seq, kind FROM events ORDER BY seq") == [
        (1, "checkin"),
        (2, "sos"),
    ]


async def test_a_closed_lane_refuses_work_instead_of_hanging(database_url: str) -> None:
    lane = CriticalLane(database_url, connections=1)
    async with lane:
        assert await lane.run(_server_pid) > 0
    with pytest.raises(RuntimeError, match="not open"):
        await lane.run(_server_pid)


async def _server_pid(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT pg_backend_pid()")
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])
