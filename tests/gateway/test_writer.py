"""The writer: acknowledgement after commit, and a batch the database refuses is split."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from devices.schema import Event
from gateway.reconcile import Reconciler
from gateway.sinks import CommittedBatch
from gateway.steps import InTransactionStep
from gateway.writer import Writer
from store.db import Conn
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import FaultyPool, fetch, poll, probe, register
from tests.rig.faults import refusing

NOW = datetime.now(UTC).replace(microsecond=0)


class Recorder:
    def __init__(self) -> None:
        self.batches: list[CommittedBatch] = []

    async def handle(self, batch: CommittedBatch) -> None:
        self.batches.append(batch)


def event(seq: int, kind: str = "motion", **extra: object) -> Event:
    return Event(device_id="d1", ts=NOW, kind=kind, received_at=NOW, seq=seq, extra=extra or None)


async def test_events_the_database_refuses_become_dead_letters_and_the_rest_is_stored(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    sink = Recorder()
    writer = Writer(pool, max_rows=100, max_ms=10, max_dead_letters=10, sinks=[sink])
    # jsonb refuses the NUL character (the ingest handler catches it earlier; this is the
    # writer's own safety net for whatever else PostgreSQL may refuse).
    events = [event(1), event(2, note="a\x00b"), event(3), event(1)]
    done = writer.batcher.add_events(events, "KP-1", 0.0)
    writer.batcher.close()
    await writer.run()
    assert done.done()
    assert done.exception() is None
    assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(1,), (3,)]
    letters = await fetch(database_url, "SELECT reason, device_id FROM dead_letters")
    assert letters == [("bad_field", "d1")]
    assert [[e.seq for e in b.events] for b in sink.batches] == [[1, 3]]
    assert sink.batches[0].elder_ids == ["KP-1", "KP-1"]


@pytest.mark.parametrize("critical", [False, True], ids=["batch", "critical-batch"])
@pytest.mark.parametrize(
    "error",
    [PoolTimeout("no connection in time"), psycopg.OperationalError("server closed the link")],
    ids=["pool-timeout", "connection-lost"],
)
async def test_a_connection_failure_while_isolating_refused_data_is_retried_and_the_batch_resolves(
    pool: Pool, database_url: str, error: Exception, critical: bool
) -> None:
    await register(database_url, ["d1"])
    # The first write is refused as data; the link then fails twice while the batch is split.
    flaky = FaultyPool(pool, [error, error], after=1)
    sink = Recorder()
    writer = Writer(flaky.as_pool(), max_rows=100, max_ms=10, max_dead_letters=10, sinks=[sink])
    events = [event(1), event(2, note="a\x00b"), event(3, "sos" if critical else "motion")]
    writing = asyncio.create_task(writer.run())
    done = writer.batcher.add_events(events, "KP-1", 0.0)
    await asyncio.wait({writing, done}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    assert done.done(), "the batch's messages wait for ever"
    assert done.exception() is None
    writer.batcher.close()
    await writing
    assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(1,), (3,)]
    assert await fetch(database_url, "SELECT reason FROM dead_letters") == [("bad_field",)]
    assert [[e.seq for e in b.events] for b in sink.batches] == [[1, 3]]
    assert not writer.failing


class StepRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[list[int | None], list[str | None]]] = []

    async def __call__(
        self, conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]
    ) -> None:
        self.calls.append(([e.seq for e in events], list(elder_ids)))


async def test_a_step_runs_only_for_batches_holding_its_kinds_and_gets_their_new_events(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    step = StepRecorder()
    writer = Writer(
        pool,
        max_rows=100,
        max_ms=10,
        max_dead_letters=10,
        steps=[InTransactionStep("recorder", frozenset({"checkin"}), step)],
    )
    writing = asyncio.create_task(writer.run())
    await writer.batcher.add_events([event(1), event(2)], "KP-1", 0.0)
    assert step.calls == [], "a batch without the step's kinds pays nothing"
    await writer.batcher.add_events([event(2), event(3, "checkin")], "KP-1", 0.0)
    await writer.batcher.add_events([event(3, "checkin")], "KP-1", 0.0)
    writer.batcher.close()
    await writing
    # The repeated event 2 is not new; the repeated check-in brings no new event at all.
    assert step.calls == [([3], ["KP-1"])]


async def test_a_check_in_whose_visit_fails_is_stored_and_acked_and_reconciled_later(
    pool: Pool, database_url: str, settings: Settings
) -> None:
    """The visit step failing (here a trigger refusing visits) does not hold the batch: it
    is stored and acknowledged without the step; once the fault is gone, the step's
    reconcile records the visit from the stored check-in."""
    await register(database_url, ["d1"])
    steps = [runtime.checkin_visit_step(settings)]
    writer = Writer(pool, max_rows=100, max_ms=10, max_dead_letters=10, steps=steps)
    reconciler = Reconciler(pool, steps, clock=lambda: NOW)
    writing = asyncio.create_task(writer.run())
    async with refusing(database_url, "visits"):
        done = writer.batcher.add_events([event(1, "checkin"), event(2)], "KP-1", 0.0)
        await asyncio.wait_for(asyncio.shield(done), timeout=15)
        assert done.exception() is None
        assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(1,), (2,)]
        assert await fetch(database_url, "SELECT count(*) FROM visits") == [(0,)]
        assert await reconciler.once() == {}, "the fault is still there: nothing made"
    assert await reconciler.once() == {"checkin-visits": 1}
    assert await reconciler.once() == {"checkin-visits": 0}
    writer.batcher.close()
    await writing
    visits = await fetch(database_url, "SELECT elder_id, source, source_event_ts FROM visits")
    assert visits == [("KP-1", "checkin", NOW)]
    assert await fetch(database_url, "SELECT device_id, event_ts FROM visit_evidence") == [
        ("d1", NOW)
    ]


async def test_a_check_in_whose_elder_is_gone_is_stored_without_a_visit(
    pool: Pool, database_url: str, settings: Settings
) -> None:
    """A foreign key the step's row breaks fails the same way on every retry: the batch is
    stored without the step, every event of it (none becomes a dead letter), and the
    reconcile leaves the press of an elder no longer on file alone."""
    await register(database_url, ["d1"])
    steps = [runtime.checkin_visit_step(settings)]
    writer = Writer(pool, max_rows=100, max_ms=10, max_dead_letters=10, steps=steps)
    writing = asyncio.create_task(writer.run())
    # The batch still names KP-GONE as the elder (read from the registry before a delete).
    done = writer.batcher.add_events([event(1, "checkin"), event(2)], "KP-GONE", 0.0)
    await asyncio.wait({writing, done}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    assert done.done(), "the batch was retried for ever"
    assert done.exception() is None
    writer.batcher.close()
    await writing
    assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(1,), (2,)]
    assert await fetch(database_url, "SELECT count(*) FROM dead_letters") == [(0,)]
    assert await Reconciler(pool, steps, clock=lambda: NOW).once() == {"checkin-visits": 0}


async def test_a_critical_commit_that_fails_with_a_bug_stops_the_writer(
    pool: Pool, database_url: str
) -> None:
    """Not a task that dies unseen: the gateway stops (and the broker redelivers)."""
    await register(database_url, ["d1"])
    # A bug in the write path itself (a step's is not: its batch goes without it).
    faulty = FaultyPool(pool, [RuntimeError("a bug in the write path")])
    writer = Writer(faulty.as_pool(), max_rows=100, max_ms=10, max_dead_letters=10)
    writing = asyncio.create_task(writer.run())
    # The gateway starts the writer before it takes messages; so does this test.
    await poll(probe(lambda: writer.running), bool, what="the writer running")
    done = writer.batcher.add_events([event(1, "sos")], "KP-1", 0.0)
    with pytest.raises(ExceptionGroup) as stopped:
        await asyncio.wait_for(writing, timeout=15)
    assert stopped.group_contains(RuntimeError)
    assert done.done()
    assert done.exception() is not None  # not acknowledged
