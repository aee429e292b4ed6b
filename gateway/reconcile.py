"""The reconcile loop: in-transaction steps catch up on what they missed when they failed.

A step that raises never holds its batch back: the batch is stored without it
(``gateway.steps``). What the step should have written is then re-derived from the stored
events by its ``reconcile``, which this loop runs for every step that has one: at start
(a failure before a restart is not forgotten), every ``RECONCILE_EVERY_S``, and
``RECONCILE_SOON_S`` after a step failed — or, for a step with a ``retry_s`` (the alerts of
critical events), every ``retry_s`` from its failure until one of its runs succeeds. Nothing
needs remembering between runs, so a crash loses nothing; reconciles are idempotent, so
several gateways may run them side by side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final

from gateway import metrics
from gateway.steps import InTransactionStep
from store.pause import pause
from store.pool import Pool
from store.waits import first_of

log = logging.getLogger(__name__)

# The safety net's pace: a step fails only on a fault (a bug, a deadlock), and what it
# writes (an online visit) is read by people over days and months, not seconds. Each run is
# a few indexed queries over the last days' events of the step's kinds.
RECONCILE_EVERY_S: Final = 300.0
# After a step failed, the next run comes this soon: a passing fault (a lock or deadlock,
# a trigger being fixed) is made good within seconds, and a step failing on every batch
# costs at most one reconcile run this often.
RECONCILE_SOON_S: Final = 10.0
# A step with a retry_s stays on its fast pace until a run succeeds that began at least this
# long after its last failure: the writer reports the failure before it writes the batch
# again without the step, so a run right after the report may not see the batch's events.
URGENT_SETTLE_S: Final = 3.0


class Reconciler:
    """Runs the reconciles of ``steps`` (those that have one) until stopped."""

    def __init__(
        self,
        pool: Pool,
        steps: Sequence[InTransactionStep],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._steps = [step for step in steps if step.reconcile is not None]
        self._clock = clock
        self._soon = asyncio.Event()
        self._failing: set[str] = set()
        self._retry_s = {step.name: step.retry_s for step in self._steps if step.retry_s}
        # Steps with a retry_s that failed and whose reconcile has not succeeded since.
        self._urgent: dict[str, float] = {}  # name → monotonic time of its last failure
        self._urgent_now = asyncio.Event()

    def soon(self, step: str) -> None:
        """``step`` failed on a batch: reconcile it shortly (the writer calls this)."""
        if step in self._retry_s:
            self._urgent[step] = time.monotonic()
            self._urgent_now.set()
            return
        self._soon.set()

    async def once(self) -> dict[str, int]:
        """Run every reconcile once; returns the records each made. A reconcile that fails
        is logged (once while it keeps failing) and tried again at the next run."""
        made: dict[str, int] = {}
        for step in self._steps:
            count = await self._reconcile(step)
            if count is not None:
                made[step.name] = count
        return made

    async def _reconcile(self, step: InTransactionStep) -> int | None:
        assert step.reconcile is not None
        try:
            async with self._pool.connection() as conn, conn.transaction():
                count = await step.reconcile(conn, self._clock())
        except Exception as exc:
            # A safety net's failure, whatever it is (a bug included), must not stop the
            # gateway's ingest: it is logged once while it lasts and tried at the next run.
            if step.name not in self._failing:
                # Class and SQLSTATE only: a psycopg message can quote row values.
                log.error(
                    "reconcile of step %s failed (%s, SQLSTATE %s); trying again later",
                    step.name,
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                )
            self._failing.add(step.name)
            return None
        if step.name in self._failing:
            log.info("reconcile of step %s succeeds again", step.name)
            self._failing.discard(step.name)
        if count:
            metrics.STEP_RECONCILED.labels(step=step.name).inc(count)
            log.warning("reconcile of step %s made %s records it had missed", step.name, count)
        return count

    async def run(self, stop: asyncio.Event) -> None:
        if not self._steps:
            return
        async with asyncio.TaskGroup() as group:
            if self._retry_s:
                group.create_task(self._run_urgent(stop), name="gateway-reconcile-urgent")
            while not stop.is_set():
                await self.once()
                await self._wait(stop)

    async def _run_urgent(self, stop: asyncio.Event) -> None:
        """The reconciles of failed steps with a ``retry_s``, each every ``retry_s`` until
        one of its runs succeeds (a refused write, a lock: until the fault passes)."""
        steps = {step.name: step for step in self._steps}
        while not stop.is_set():
            if not self._urgent:
                await first_of(stop.wait(), self._urgent_now.wait())
                self._urgent_now.clear()
                continue
            for name in sorted(self._urgent):
                began = time.monotonic()
                succeeded = await self._reconcile(steps[name]) is not None
                if succeeded and began - self._urgent[name] >= URGENT_SETTLE_S:
                    del self._urgent[name]
            if self._urgent:
                pace = min(self._retry_s[name] for name in self._urgent)
                await pause(stop, pace)

    async def _wait(self, stop: asyncio.Event) -> None:
        """Until the next run is due: the regular pace, or soon after a step failed."""
        await first_of(stop.wait(), self._soon.wait(), limit_s=RECONCILE_EVERY_S)
        if self._soon.is_set() and not stop.is_set():
            await first_of(stop.wait(), limit_s=RECONCILE_SOON_S)
            self._soon.clear()
