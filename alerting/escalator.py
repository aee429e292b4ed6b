"""The escalator: runs the escalation steps when they are due and delivers their
notifications. Any number of processes may run one on the same database.

It sleeps until the earliest due time (a step's or a retry's), and wakes at once when
something changes (``LISTEN tanfang_escalation``: an alert opened, acked or resolved). Each
turn claims the due steps (``FOR UPDATE SKIP LOCKED``), runs them and commits, then sends
what they made; it then claims notifications whose retry is due or whose escalator died
mid-send (its lease ran out). It watches itself: a step run more than ``LATE_S`` after its
due time is logged, counted and raised as the system alert ``escalation_late``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import psycopg

from alerting import escalation_repo
from alerting.channels import Channel, falls_back
from alerting.clearing import clear_alert
from alerting.delivery import DEFAULT_CONCURRENCY, AckUrls, Deliverer
from alerting.escalation import Seat, run_due_steps
from alerting.lifecycle import subject_of
from alerting.metrics import STEP_LATENESS, STEPS_LATE
from alerting.models import AlertSignal, AlertType, Outcome
from alerting.services import open_alert
from store.listen import Wakeup
from store.pool import Pool
from store.waits import first_of

log = logging.getLogger(__name__)

# Steps (and deliveries) claimed in one turn: a turn holds its transaction briefly, and a
# backlog is worked off turn after turn without waiting.
BATCH: Final = 200
# A claimed delivery is its escalator's for this long, renewed every LEASE_RENEW_S while it
# is being sent: when its process dies another takes it over within the lease.
LEASE_S: Final = 3.0
LEASE_RENEW_S: Final = 1.0
# The longest sleep between turns when nothing is due: a safety net for a missed wake-up
# (a listen connection lost and found again); due times, not this, pace the work.
IDLE_MAX_S: Final = 5.0
# A step this late is the escalator's own fault (overloaded, stalled, the database slow):
# someone must know.
LATE_S: Final = 10.0
# escalation_late clears itself once steps have run on time this long: a backlog worked
# off is not over at its first on-time step.
LATE_CLEAR_AFTER: Final = timedelta(minutes=5)
# Waiting for deliveries in flight at shutdown.
DRAIN_S: Final = 2.0
# After a failed turn: soon enough for a due SOS step, slow enough not to spin on a fault.
FAILED_TURN_PAUSE_S: Final = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


class Escalator:
    def __init__(
        self,
        pool: Pool,
        database_url: str,
        channels: Sequence[Channel],
        *,
        instance: str,
        ack_urls: AckUrls,
        clock: Callable[[], datetime] = _now,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._pool = pool
        self._channels = {c.name: c for c in channels}
        # The recipients' fallback chain (apprise channels), in the order configured.
        self._chain = tuple(c.name for c in channels if falls_back(c))
        self._instance = instance
        self._clock = clock
        self._listener = Wakeup(database_url, escalation_repo.WAKE_CHANNEL)
        self._wake = self._listener.woken
        self._deliverer = Deliverer(
            pool,
            self._channels,
            claimed_by=instance,
            ack_urls=ack_urls,
            clock=clock,
            concurrency=concurrency,
            chain=self._chain,
        )
        self._late_alert_may_be_open = True
        self._last_late: datetime | None = None
        self.turns = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: listen, run due steps, deliver, record, renew leases."""
        if not self._channels:
            log.warning(
                "no notification channel is configured (TANFANG_WEBHOOK_URL, TANFANG_NOTIFY_URLS):"
                " alerts escalate and are shown, but nobody is sent anything"
            )
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._listener.run(stop), name="escalator-listen")
                group.create_task(self._record(stop), name="escalator-record")
                group.create_task(self._renew(stop), name="escalator-renew")
                group.create_task(self._turns(stop), name="escalator-turns")
        finally:
            await self._deliverer.drain(DRAIN_S)
            with contextlib.suppress(Exception):
                await self._deliverer.record()
            for channel in self._channels.values():
                await channel.aclose()

    async def _turns(self, stop: asyncio.Event) -> None:
        failing = False
        while not stop.is_set():
            self._wake.clear()
            try:
                busy = await self.turn()
                pause = 0.0 if busy else await self._until_due()
            except Exception as exc:
                # Whatever it is (a database outage, a bug), the process's other parts keep
                # running and the escalator tries again: logged once while it lasts (class
                # and SQLSTATE only for the database: its messages can quote row values).
                if not failing:
                    if isinstance(exc, psycopg.Error | OSError):
                        log.error(
                            "escalator turn failed (%s, SQLSTATE %s); trying again",
                            type(exc).__name__,
                            getattr(exc, "sqlstate", None),
                        )
                    else:
                        log.exception("escalator turn failed; trying again")
                failing, pause = True, FAILED_TURN_PAUSE_S
            else:
                failing = False
            if pause > 0:
                await first_of(stop.wait(), self._wake.wait(), limit_s=pause)

    async def turn(self) -> bool:
        """One turn: due steps, then due deliveries. True when a batch was full (more is
        waiting)."""
        self.turns += 1
        now = self._clock()
        lease_until = now + timedelta(seconds=LEASE_S)
        seat = Seat(tuple(self._channels), self._instance, lease_until, chain=self._chain)
        async with self._pool.connection() as conn, conn.transaction():
            run = await run_due_steps(conn, now, seat, BATCH)
        await self._deliverer.dispatch(run.claimed, run.alerts)
        await self._watch_lateness(run.lateness_s, now)
        async with self._pool.connection() as conn, conn.transaction():
            retries = await escalation_repo.claim_deliveries(
                conn, now, BATCH, claimed_by=self._instance, lease_until=lease_until
            )
        await self._deliverer.dispatch(retries)
        return len(run.lateness_s) >= BATCH or len(retries) >= BATCH

    async def _until_due(self) -> float:
        async with self._pool.connection() as conn:
            due = await escalation_repo.earliest_due(conn)
        if due is None:
            return IDLE_MAX_S
        return max(0.0, min((due - self._clock()).total_seconds(), IDLE_MAX_S))

    async def _watch_lateness(self, lateness_s: list[float], now: datetime) -> None:
        for late in lateness_s:
            STEP_LATENESS.observe(max(late, 0.0))
        overdue = [s for s in lateness_s if s > LATE_S]
        if overdue:
            STEPS_LATE.inc(len(overdue))
            log.warning(
                "escalator: %s step(s) ran late, the latest %.1fs after its due time",
                len(overdue),
                max(overdue),
            )
            signal = AlertSignal(
                AlertType.ESCALATION_LATE,
                None,
                actor="escalator",
                detail={"late_steps": len(overdue), "max_late_s": round(max(overdue), 1)},
            )
            async with self._pool.connection() as conn, conn.transaction():
                await open_alert(conn, signal, now)
            self._late_alert_may_be_open = True
            self._last_late = now
        elif lateness_s and self._late_alert_may_be_open and self._on_time_since(now):
            subject = subject_of(AlertType.ESCALATION_LATE, None, None)
            async with self._pool.connection() as conn, conn.transaction():
                await clear_alert(
                    conn,
                    AlertType.ESCALATION_LATE,
                    subject,
                    now,
                    reason="escalator on time",
                    outcome=Outcome.OTHER,
                )
            self._late_alert_may_be_open = False

    def _on_time_since(self, now: datetime) -> bool:
        """No step ran late for ``LATE_CLEAR_AFTER`` (or since this escalator started)."""
        return self._last_late is None or now - self._last_late >= LATE_CLEAR_AFTER

    async def _record(self, stop: asyncio.Event) -> None:
        # Written down as soon as they finish: a delivery sent but not yet recorded is sent
        # again after a crash (same notification_id), so that window is kept to one
        # transaction. Under a flood, what finishes during one transaction goes in the next.
        while not stop.is_set():
            await first_of(stop.wait(), self._deliverer.recorded.wait(), limit_s=IDLE_MAX_S)
            try:
                if await self._deliverer.record():
                    # A retry may now be due before the turn's planned wake-up.
                    self._wake.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("escalator could not record deliveries (%s)", type(exc).__name__)
                await first_of(stop.wait(), limit_s=FAILED_TURN_PAUSE_S)

    async def _renew(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await first_of(stop.wait(), limit_s=LEASE_RENEW_S)
            with contextlib.suppress(psycopg.Error, OSError):
                await self._deliverer.renew(self._clock() + timedelta(seconds=LEASE_S))
