"""Writers: commit batches, release their MQTT acknowledgements, feed the post-commit sinks.

A batch is one transaction: its events, device rows, dead letters, status changes, and what
the in-transaction steps (``gateway.steps``) record from its new events, such as check-ins
made online visits. Post-commit sinks get the batch after its acknowledgements went out.

A failed commit is retried with a short, capped backoff for as long as the gateway runs: the
messages of the batch stay unacknowledged meanwhile, and the broker's receive window stops
delivery when it is full, so a database outage pauses ingest instead of losing or dropping
anything, and the held batches go in as soon as the database is back. Only when the gateway
is stopping is a failing batch given up: its messages are then never acknowledged and the
broker delivers them again to the next session.

An in-transaction step that raises never holds a batch back: the batch is written again at
once without that step (``gateway.steps.guarded``), and the step's reconcile
(``gateway.reconcile``) makes good later what it missed.

A batch the database refuses as data (a value PostgreSQL will not take) cannot succeed by
retrying; it is split until the refused events are found, and those become dead letters.
Each write of that split is retried like a whole batch when the connection fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import psycopg
from psycopg_pool import PoolTimeout

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange, TransactionStep, WriteResult, write_batch
from devices.schema import Event, Reason
from gateway import metrics
from gateway.batcher import Batch, Batcher, NotAcknowledgedError
from gateway.critical_lane import CriticalLane
from gateway.rows import copy_rows, refused_by_database
from gateway.sinks import CommittedBatch, EventSink
from gateway.steps import InTransactionStep, StepFailedError, guarded
from store.pool import Pool

log = logging.getLogger(__name__)

# Errors the same data raises again however often it is retried (a value the column
# refuses): the batch is split to find the culprit. A step's errors never get here: they
# are StepFailedError (gateway.steps.guarded), and the batch is written without the step.
_SAME_AGAIN = (psycopg.DataError, psycopg.IntegrityError)

_RETRY_FIRST_S = 0.1
# The longest pause between two attempts of a failing batch. An attempt during an outage
# costs nothing (the pool refuses at once, or the batch waits for a connection), and the
# pause is what the batch may lose after the database is back: a long exponential backoff
# (it was 5 s, and the pool's own grew to minutes) held an SOS long after the outage ended.
RETRY_MAX_S = 0.5
# A batch waits at most this long for a pooled connection before its attempt counts as
# failed (then /healthz reports failing commits). The pool hands a waiting batch the first
# connection it makes, so the wait never delays recovery; a few seconds let a busy pool
# free a connection under load without a failure being counted.
CONNECT_WAIT_S = 2.0

T = TypeVar("T")


class Writer:
    """``writers`` tasks take due batches in turn; critical batches get a task of their own."""

    def __init__(
        self,
        pool: Pool,
        *,
        max_rows: int,
        max_ms: int,
        max_dead_letters: int,
        writers: int = 2,
        sinks: Sequence[EventSink] = (),
        steps: Sequence[InTransactionStep] = (),
        on_step_failure: Callable[[str], None] = lambda step: None,
        lane: CriticalLane | None = None,
    ) -> None:
        """``lane``: where critical batches are committed (else on ``pool``, like the rest)."""
        self._pool = pool
        self._lane = lane
        self._main_loop: asyncio.AbstractEventLoop | None = None
        self._writers = writers
        self._sinks = list(sinks)
        self._steps = list(steps)
        self._on_step_failure = on_step_failure
        # The steps that failed on a batch being written: its later attempts go without them.
        self._failed_steps: dict[Batch, set[str]] = {}
        self._critical: set[asyncio.Task[None]] = set()
        self._group: asyncio.TaskGroup | None = None
        self.batcher = Batcher(
            max_rows=max_rows,
            max_ms=max_ms,
            max_dead_letters=max_dead_letters,
            on_critical=self._spawn_critical,
            watch_kinds=frozenset().union(*(step.kinds for step in self._steps)),
        )
        self.last_commit: float | None = None
        self.failing = False

    @property
    def running(self) -> bool:
        """True while the writers run (critical commits then belong to their task group)."""
        return self._group is not None

    async def run(self) -> None:
        """Write batches until the batcher is closed and everything it held is written."""
        self._main_loop = asyncio.get_running_loop()
        async with asyncio.TaskGroup() as group:
            self._group = group
            for n in range(self._writers):
                group.create_task(self._loop(), name=f"ingest-writer-{n}")
        self._group = None
        while self._critical:
            await asyncio.gather(*self._critical)

    async def _loop(self) -> None:
        while (batch := await self.batcher.next_batch()) is not None:
            await self.commit(batch)

    def _spawn_critical(self, batch: Batch) -> None:
        # In the writers' task group while it runs, so that a failure of a critical commit
        # (a bug: database errors are retried) stops the gateway like a writer's would,
        # instead of dying unseen in a task nobody awaits.
        group = self._group
        if group is not None:
            task = group.create_task(self.commit(batch), name="ingest-critical")
        else:
            task = asyncio.create_task(self.commit(batch), name="ingest-critical")
        self._critical.add(task)
        task.add_done_callback(self._critical.discard)

    async def commit(self, batch: Batch) -> None:
        """Commit ``batch``, then release its messages' acknowledgements and call the sinks.
        A critical batch's transaction runs on the critical lane when there is one.

        The batch's future is always resolved: with an exception when the batch is given up
        (its messages then stay unacknowledged and the broker delivers them again)."""
        try:
            if batch.critical and self._lane is not None:
                result = await self._lane.run(lambda pool: self._commit_with_retry(batch, pool))
            else:
                result = await self._commit_with_retry(batch, self._pool)
        except NotAcknowledgedError as exc:
            _give_up(batch, exc)
            return
        except BaseException as exc:
            # A bug, or the loop torn down: the messages must not wait for ever.
            _give_up(
                batch, NotAcknowledgedError(f"the batch's write failed ({type(exc).__name__})")
            )
            raise
        finally:
            self.batcher.taken(batch)
            self._failed_steps.pop(batch, None)
        committed_at = time.time()
        self.last_commit = committed_at
        if not batch.done.done():  # cancelled only when the loop itself is torn down
            batch.done.set_result(None)
        self._observe(batch, result, committed_at)
        if self._sinks and (result.stored or batch.statuses):
            await self._feed_sinks(batch, result, committed_at)

    async def _commit_with_retry(self, batch: Batch, pool: Pool) -> WriteResult:
        try:
            return await self._retrying(batch, lambda: self._write(batch, pool))
        except _SAME_AGAIN as exc:
            log.warning(
                "database refused the data of a batch of %s events (%s, SQLSTATE %s); isolating",
                len(batch.events),
                type(exc).__name__,
                exc.sqlstate,
            )
            metrics.BATCH_FAILURES.labels(error="data").inc()
            return await self._isolate(batch, pool)

    async def _retrying(self, batch: Batch, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` until it succeeds, with backoff. ``_SAME_AGAIN`` is not retried (the
        same data fails again): the caller isolates. Every database round trip of a batch,
        the isolating ones too, goes through here, so a lost connection never escapes."""
        delay = _RETRY_FIRST_S
        while True:
            try:
                result = await attempt()
            except _SAME_AGAIN:
                raise
            except StepFailedError as exc:
                self._step_failed(batch, exc)
            except (psycopg.Error, PoolTimeout) as exc:
                metrics.BATCH_FAILURES.labels(error=type(exc).__name__).inc()
                if self.batcher.closing:
                    raise NotAcknowledgedError("stopping with a batch that cannot commit") from exc
                if not self.failing:
                    # Class and SQLSTATE only: a psycopg message can quote the row's values.
                    log.error(
                        "a batch of %s events failed to commit (%s, SQLSTATE %s);"
                        " retrying until it succeeds",
                        len(batch.events),
                        type(exc).__name__,
                        exc.sqlstate,
                    )
                self.failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            else:
                if self.failing:
                    log.info("batch commits succeed again")
                self.failing = False
                return result

    def _step_failed(self, batch: Batch, exc: StepFailedError) -> None:
        """Count and log a step's failure once; the batch is written again at once without
        it, and the step's reconcile will do what it missed."""
        cause = exc.__cause__
        metrics.STEP_FAILURES.labels(step=exc.step).inc()
        # Class and SQLSTATE only: the error's text can quote the events' values.
        log.error(
            "in-transaction step %s failed on a batch of %s events (%s, SQLSTATE %s);"
            " storing the batch without it, its reconcile will catch up",
            exc.step,
            len(batch.events),
            type(cause).__name__,
            getattr(cause, "sqlstate", None),
        )
        loop = self._main_loop
        if loop is None or asyncio.get_running_loop() is loop:
            self._on_step_failure(exc.step)
        else:  # a critical batch on the lane's loop
            loop.call_soon_threadsafe(self._on_step_failure, exc.step)

    def _steps_for(self, batch: Batch) -> list[TransactionStep]:
        """The steps waiting for a kind the batch holds (most batches: none, at no cost),
        but those that already failed on it."""
        if not batch.watched:
            return []
        failed = self._failed_steps.setdefault(batch, set())
        return [
            guarded(step, failed)
            for step in self._steps
            if step.name not in failed and not step.kinds.isdisjoint(batch.watched)
        ]

    async def _write(self, batch: Batch, pool: Pool) -> WriteResult:
        rows = copy_rows(batch.events, batch.elder_ids)
        async with pool.connection(CONNECT_WAIT_S) as conn:
            return await write_batch(
                conn,
                batch.events,
                rows,
                batch.dead,
                batch.status_list(),
                which=bool(self._sinks),
                suspects=batch.suspects,
                steps=self._steps_for(batch),
            )

    async def _isolate(self, batch: Batch, pool: Pool) -> WriteResult:
        """Store what the database takes; refused events become dead letters."""
        stored: list[int] = []
        refused: list[DeadLetter] = []
        await self._bisect(batch, pool, list(range(len(batch.events))), stored, refused)
        dead = [*batch.dead, *refused]
        statuses = batch.status_list()
        try:
            await self._retrying(batch, lambda: self._write_rest(pool, dead, statuses))
        except _SAME_AGAIN:
            metrics.DEAD_LETTERS_DROPPED.inc(len(dead))
            await self._retrying(batch, lambda: self._write_rest(pool, [], statuses))
        stored.sort()
        return WriteResult(stored=len(stored), new=stored)

    async def _write_rest(
        self, pool: Pool, dead: list[DeadLetter], statuses: list[StatusChange]
    ) -> None:
        async with pool.connection(CONNECT_WAIT_S) as conn:
            await write_batch(conn, [], [], dead, statuses)

    async def _bisect(
        self,
        batch: Batch,
        pool: Pool,
        part: list[int],
        stored: list[int],
        refused: list[DeadLetter],
    ) -> None:
        events = [batch.events[i] for i in part]
        elders = [batch.elder_ids[i] for i in part]
        redelivered = dict(batch.suspects)
        suspects = [(j, redelivered[i]) for j, i in enumerate(part) if i in redelivered]
        try:
            # The steps are chosen at each attempt: one that failed is left out of the next.
            result = await self._retrying(
                batch,
                lambda: self._write_part(pool, events, elders, suspects, self._steps_for(batch)),
            )
        except _SAME_AGAIN as exc:
            if len(part) == 1:
                refused.append(refused_by_database(events[0], exc))
                metrics.EVENTS_REFUSED.labels(reason=Reason.BAD_FIELD.value).inc()
                return
            middle = len(part) // 2
            await self._bisect(batch, pool, part[:middle], stored, refused)
            await self._bisect(batch, pool, part[middle:], stored, refused)
            return
        stored.extend(part[i] for i in result.new or ())

    async def _write_part(
        self,
        pool: Pool,
        events: list[Event],
        elders: list[str | None],
        suspects: list[tuple[int, bool]],
        steps: list[TransactionStep],
    ) -> WriteResult:
        async with pool.connection(CONNECT_WAIT_S) as conn:
            return await write_batch(
                conn,
                events,
                copy_rows(events, elders),
                [],
                [],
                which=True,
                suspects=suspects,
                steps=steps,
            )

    def _observe(self, batch: Batch, result: WriteResult, committed_at: float) -> None:
        metrics.EVENTS_STORED.inc(result.stored)
        duplicates = len(batch.events) - result.stored
        if duplicates:
            metrics.EVENTS_DUPLICATE.inc(duplicates)
        if batch.events:
            metrics.BATCH_ROWS.observe(len(batch.events))
        metrics.INGEST_LAG.observe_many(committed_at - received for received in batch.received)
        events = batch.events
        stored = events if result.new is None else [events[i] for i in result.new]
        metrics.DEVICE_LAG.observe_many(committed_at - e.ts.timestamp() for e in stored)

    async def _feed_sinks(self, batch: Batch, result: WriteResult, committed_at: float) -> None:
        new = result.new or []
        if len(new) == len(batch.events):
            events: Sequence[Event] = batch.events
            elders: Sequence[str | None] = batch.elder_ids
        else:
            events = [batch.events[i] for i in new]
            elders = [batch.elder_ids[i] for i in new]
        committed = CommittedBatch(
            events=events,
            elder_ids=elders,
            statuses=batch.status_list(),
            committed_at=datetime.fromtimestamp(committed_at, UTC),
            critical=batch.critical,
        )
        for sink in self._sinks:
            try:
                await sink.handle(committed)
            except Exception as exc:
                # A sink is a plug-in: its failure must not stop ingest. The events are
                # stored; the sink is expected to recover from the database. Its error's
                # text may quote event values: only the class and SQLSTATE are logged.
                log.error(
                    "post-commit sink %s failed on a batch of %s events (%s, SQLSTATE %s)",
                    type(sink).__name__,
                    len(events),
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                )


def _give_up(batch: Batch, exc: NotAcknowledgedError) -> None:
    if not batch.done.done():
        batch.done.set_exception(exc)
        batch.done.exception()  # retrieved: handlers that were cancelled never will
