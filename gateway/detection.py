"""The detectors in the running gateway (docs/detection.md, "Where detection runs").

Every gateway process runs ``Detection.run`` on a thread and loop of its own (ingest never
waits for it); one of them leads (``gateway.detect_leader``). The leader builds its state
from the database (``gateway.detect_watch``), then every ``interval_s`` of the wall clock
takes one turn: the fleet again when it changed (looked at every ``FLEET_RELOAD_S``), the
committed events since the last turn (``gateway.detect_feed``), the baselines' learning,
the sweep of every home, its findings as alerts (``gateway.detect_alerts``) and, every
``missed_checkin.ROUND_S``, the unanswered check-in prompts. Losing the lock (its
connection died, a database restart) ends the leadership: it competes again and whoever
leads next starts from the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg_pool import PoolTimeout

from gateway import detect_repo
from gateway.detect_clock import parse_clock
from gateway.detect_leader import Leadership
from gateway.detect_watch import (
    Watch,
    fleet_version,
    mark_offline_now,
    read_fleet,
    rebuilt,
    start_watch,
)
from gateway.detectors import apply, sweep
from gateway.detectors.sweep import DEFAULT_OFF, cleared, rules_off
from gateway.missed_checkin import ROUND_S
from store.db import Conn
from store.pause import pause
from store.pool import Pool

Bools = npt.NDArray[np.bool_]
log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S: Final = 10.0
# Elders, devices and watch periods are looked at this often; a change reaches the sweep
# within this long (a new device, a changed threshold, a heightened watch).
FLEET_RELOAD_S: Final = 60.0
# After a fault of the detection itself (a bug), the leader steps down this long.
FAULT_PAUSE_S: Final = 30.0
# The feed reads at most this many events at a time (a new leader's first hours).
FEED_ROWS: Final = 50_000


@dataclass(frozen=True, slots=True)
class DetectConfig:
    """``zone`` and its ``offset_s``: local days and hours. One leader per database: every
    gateway on it, whatever its client id, shares its alerts, so one sweeps them."""

    zone: str
    offset_s: float
    interval_s: float = DEFAULT_INTERVAL_S
    fleet_reload_s: float = FLEET_RELOAD_S
    missed_round_s: float = ROUND_S
    off: tuple[str, ...] = DEFAULT_OFF  # alert types whose rules do not run
    clock: str = ""  # TANFANG_DETECT_CLOCK: "" the wall clock (gateway.detect_clock)


class Detection:
    def __init__(
        self,
        pool: Pool,
        url: str,
        config: DetectConfig,
        *,
        clock: Callable[[], float] | None = None,
        leader_poll_s: float | None = None,
    ) -> None:
        self._pool = pool
        self._config = config
        self._off = rules_off(config.off)
        # The clock the turns read: the configured one (the wall clock unless a simulated
        # one is set), or a test's. Wall-clock times read from the database are carried
        # onto a configured simulated clock (``DetectClock.of_wall``).
        self._time = parse_clock(config.clock)
        self._clock = clock or self._time.now
        poll = {} if leader_poll_s is None else {"poll_s": leader_poll_s}
        self.leadership = Leadership(url, **poll)
        self.leading = False
        self.turns = 0  # turns taken while leading (tests and metrics watch it)
        self.elections = 0  # times this process became the leader
        self.watch: Watch | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Compete for the lead, lead until it is lost, again, until ``stop``."""
        try:
            while await self.leadership.acquire(stop):
                self.elections += 1
                wait = self.leadership.poll_s
                try:
                    await self._lead(stop)
                except (psycopg.OperationalError, PoolTimeout) as exc:
                    log.warning("detection: database lost while leading (%s)", type(exc).__name__)
                except Exception:
                    # A fault of ours must never end the process: its ingest carries every
                    # SOS. Another gateway may lead meanwhile; this one tries again later.
                    log.exception("detection failed; stepping down for %.0f s", FAULT_PAUSE_S)
                    wait = FAULT_PAUSE_S
                finally:
                    self.leading = False
                    self.watch = None
                    await self.leadership.release()
                await pause(stop, wait)
        finally:
            await self.leadership.release()

    async def _lead(self, stop: asyncio.Event) -> None:
        cfg = self._config
        async with self._pool.connection() as conn:
            self.watch = await start_watch(conn, self._clock(), cfg.offset_s, cfg.zone, self._time)
        self.leading = True
        while not stop.is_set() and await self.leadership.holds():
            try:
                await self.turn(self.watch)
            except psycopg.Error as exc:
                if isinstance(exc, psycopg.OperationalError):
                    raise
                # A fault of one turn's SQL (a constraint, a bad row): logged, counted by
                # the next turn's retry; never a reason to stop watching every home.
                log.error("detection turn failed (%s)", type(exc).__name__)
            await pause(stop, cfg.interval_s)

    async def turn(self, watch: Watch) -> None:
        """One turn at the clock's now."""
        cfg = self._config
        now = self._clock()
        # The database's times (absences, check-in prompts) are the wall clock's.
        at = datetime.fromtimestamp(self._time.to_wall(now), UTC)
        async with self._pool.connection() as conn:
            if now >= watch.next_fleet:
                await self._fleet(conn, watch, now)
                watch.next_fleet = now + cfg.fleet_reload_s
            await self._feed(conn, watch)
            watch.feed.follow()
            fleet = watch.fleet
            suppressed, excused = fleet.absences(await detect_repo.absences_now(conn, at))
            # An outing begun before the last absence ended is explained by it.
            watch.state.excused = self._time.of_wall(excused)
            self._learn(watch, now, suppressed)
            found = sweep(
                fleet.homes, watch.state, watch.baseline, now, cfg.offset_s, suppressed, self._off
            )
            async with conn.transaction():
                await watch.alerts.refresh(conn)
                opened_at = watch.alerts.opened_at(fleet.homes)
                over = cleared(fleet.homes, watch.state, opened_at, watch.baseline, suppressed)
                opened = await watch.alerts.settle(
                    conn, fleet.homes, found, over, now=now, offset_s=cfg.offset_s
                )
            if now >= watch.next_missed:
                async with conn.transaction():
                    opened += await watch.missed.round(conn, at)
                watch.next_missed = now + cfg.missed_round_s
        if opened:
            log.info("detection: %s alerts opened", opened)
        self.turns += 1

    async def _fleet(self, conn: Conn, watch: Watch, now: float) -> None:
        offset_s = self._config.offset_s
        version = await fleet_version(conn, now, offset_s)
        if version != watch.version:
            fleet = await read_fleet(conn, now, offset_s)
            watch.refleet(fleet, version, now)
            log.info("detection: fleet reloaded, %s homes", fleet.homes.n)
        else:
            watch.fleet.offline = await detect_repo.offline_devices(conn)
            mark_offline_now(watch.state, watch.fleet)

    async def _feed(self, conn: Conn, watch: Watch) -> None:
        """Every committed event since the last turn, into the state."""
        feed, fleet = watch.feed, watch.fleet
        since = feed.since
        while True:
            rows = await detect_repo.events_since(
                conn, datetime.fromtimestamp(since, UTC), FEED_ROWS
            )
            batch = feed.take(rows, fleet.homes.device_ids)
            if self._time.simulated:
                batch = replace(batch, received=self._time.of_wall(batch.received))
            apply(fleet.homes, watch.state, batch)
            if len(rows) < FEED_ROWS:
                return
            # The next page after this one's last receipt; rows sharing it beyond the page
            # are read by the next turn's overlap.
            since = rows[-1][5]

    def _learn(self, watch: Watch, now: float, suppressed: Bools) -> None:
        """The baselines' learning step (``Learning``; nothing learned of an elder under a
        declared absence, ``suppressed``), rebuilt when a day of history closed."""
        homes = watch.fleet.homes
        if watch.learning.step(watch.history, homes, watch.state, now, suppressed):
            watch.baseline = rebuilt(watch.history, watch.fleet)
