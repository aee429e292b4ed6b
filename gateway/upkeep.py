"""Upkeep of the events: partitions made ahead (at start and hourly), the retention policy
applied at start and expired partitions dropped (daily), the hourly activity rollup recounted
(every few minutes). What applies depends on TimescaleDB (store.retention)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg_pool import PoolTimeout

from devices.sources_repo import forget_message_ids
from store.features import Features
from store.partitions import drop_expired, ensure_partitions
from store.pause import pause
from store.pool import Pool
from store.retention import apply_retention_policy, roll_up_activity

log = logging.getLogger(__name__)

ENSURE_EVERY = timedelta(hours=1)
DROP_EVERY = timedelta(days=1)
# The rollup trails the events by at most this much (plus a round's work): the detectors'
# baselines and the timeline's older hours read it.
ROLLUP_EVERY = timedelta(minutes=5)
_RETRY_S = 60.0


class Upkeep:
    def __init__(
        self,
        pool: Pool,
        features: Features,
        *,
        days_ahead: int,
        retention_days: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._features = features
        self._days_ahead = days_ahead
        self._retention_days = retention_days
        self._clock = clock
        self._last_ensure: datetime | None = None
        self._last_drop: datetime | None = None

    async def ensure(self) -> list[str]:
        async with self._pool.connection() as conn:
            return await ensure_partitions(conn, self._features, self._clock(), self._days_ahead)

    async def start(self) -> None:
        """At start: the partitions ahead, and the retention policy from the setting."""
        await self.ensure()
        async with self._pool.connection() as conn:
            if await apply_retention_policy(conn, self._features, self._retention_days):
                log.info("event retention policy: %s days", self._retention_days)

    async def once(self) -> None:
        """Recount the rollup; make the partitions ahead when an hour has passed, drop the
        expired ones when a day has."""
        async with self._pool.connection() as conn:
            await roll_up_activity(conn, self._features)
        now = self._clock()
        if self._last_ensure is None or now - self._last_ensure >= ENSURE_EVERY:
            created = await self.ensure()
            self._last_ensure = now
            if created:
                log.info("created %s event partitions", len(created))
        if self._last_drop is None or now - self._last_drop >= DROP_EVERY:
            async with self._pool.connection() as conn:
                dropped = await drop_expired(conn, self._features, now, self._retention_days)
                # A vendor's message id outlives its event by nothing: no retry comes later.
                await forget_message_ids(conn, now - timedelta(days=self._retention_days))
            self._last_drop = now
            if dropped:
                log.info("dropped %s expired event partitions", len(dropped))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = ROLLUP_EVERY.total_seconds()
            try:
                await self.once()
            except (psycopg.Error, PoolTimeout) as exc:
                # Class and SQLSTATE only: a psycopg message can quote row values.
                log.error(
                    "partition upkeep failed (%s, SQLSTATE %s); retrying in %.0fs",
                    type(exc).__name__,
                    exc.sqlstate,
                    _RETRY_S,
                )
                wait = _RETRY_S
            await pause(stop, wait)
