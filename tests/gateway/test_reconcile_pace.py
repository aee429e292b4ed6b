"""A step with a ``retry_s`` (the alerts of critical events) is reconciled at that pace
after it failed, for as long as its reconcile fails and a while after, not once 10 s later;
a step without one keeps the slow pace."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from devices.schema import Event
from gateway.reconcile import Reconciler
from gateway.steps import InTransactionStep
from store.db import Conn
from store.pool import Pool
from tests.gateway.helpers import poll, probe


async def _nothing(conn: Conn, events: Sequence[Event], elders: Sequence[str | None]) -> None:
    return None


async def test_a_failed_urgent_step_is_reconciled_at_its_pace_until_the_fault_passes(
    pool: Pool,
) -> None:
    urgent_runs: list[bool] = []
    slow_runs: list[bool] = []
    fault = {"on": True}

    async def urgent(conn: Conn, now: datetime) -> int:
        urgent_runs.append(fault["on"])
        if fault["on"]:
            raise RuntimeError("the table refuses rows")
        return 1

    async def slow(conn: Conn, now: datetime) -> int:
        slow_runs.append(True)
        return 0

    steps = [
        InTransactionStep("urgent", frozenset({"sos"}), _nothing, reconcile=urgent, retry_s=0.02),
        InTransactionStep("slow", frozenset({"checkin"}), _nothing, reconcile=slow),
    ]
    reconciler = Reconciler(pool, steps)
    stop = asyncio.Event()
    running = asyncio.create_task(reconciler.run(stop))
    try:
        await poll(probe(lambda: len(urgent_runs)), lambda n: n == 1, what="the start run")
        reconciler.soon("urgent")
        await poll(probe(lambda: len(urgent_runs)), lambda n: n >= 4, what="retries while failing")
        fault["on"] = False
        await poll(
            probe(lambda: urgent_runs.count(False)),
            lambda n: n >= 2,
            what="runs after the fault passed (it stays on its pace a while)",
        )
        assert len(slow_runs) == 1, "the other step keeps its slow pace"
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=5)
