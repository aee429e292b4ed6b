"""The health loop: every ``SWEEP_EVERY_S`` this gateway writes its heartbeat row, then
sweeps the fleet's health (``gateway.device_health``) and the gateways' (``alerting.
gateway_outage``), opening and clearing their alerts through ``alerting``.

Several gateways run it side by side: the sweep takes a PostgreSQL advisory lease per
sweep (a process that finds it taken skips its turn), and the alerts' partial unique index
would keep one active alert per condition anyway. Each gateway knows its own blindness
(``IngestState``): while its broker session is down or its commits fail, and until the next
turn after it recovers, its sweep blames no device for silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from alerting import health_repo, storm_services
from alerting.clearing import BATTERY_OK, DEVICE_BACK, clear_device_alert
from alerting.gateway_outage import HEALTH_LEASE, silence_s, sweep_gateway_outage
from alerting.lifecycle import EMERGENCY_DEVICE_TYPES, device_offline_severity
from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from alerting.storms import StormRule
from devices.health_repo import FleetHealth, fleet_health
from gateway import metrics
from gateway.device_health import (
    MISSED_HEARTBEATS,
    BatteryRule,
    Findings,
    HealthState,
    detect,
)
from store.db import Conn
from store.pause import pause
from store.pool import Pool

log = logging.getLogger(__name__)

# The pace of heartbeats and sweeps: well inside GATEWAY_SILENT_S (60 s) and the shortest
# sensible heartbeat interval's two (a device offline is seen within seconds of its second
# missed heartbeat); one indexed read of the fleet each time.
SWEEP_EVERY_S: Final = 5.0
ACTOR: Final = "health"
# Alerts opened in one sweep at most: a mass outage (a village's power cut) opens its alerts
# over a few sweeps, emergency devices first, and no sweep holds its transaction and lease
# for long. Clears are not capped: they are few, and each one is good news.
MAX_OPENS_PER_SWEEP: Final = 1000


@dataclass(frozen=True, slots=True)
class IngestState:
    """This gateway's ingest as of now: ``working`` (session up and subscribed, commits
    succeeding, not stalled) and how many broker connections it has made (a change tells a
    drop between two looks)."""

    working: bool
    connections: int


class HealthLoop:
    def __init__(
        self,
        pool: Pool,
        client_id: str,
        ingest: Callable[[], IngestState],
        *,
        battery: BatteryRule | None = None,
        storm: StormRule | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        every_s: float | None = None,
    ) -> None:
        self._pool = pool
        self._client_id = client_id
        self._ingest = ingest
        self._battery = battery or BatteryRule()
        self._storm = storm or StormRule()
        self._clock = clock
        # Read at start, not at import: a test may shorten the module's pace.
        self._every_s = SWEEP_EVERY_S if every_s is None else every_s
        self._started_at = clock()
        # Our outage "ends" no earlier than our start: devices are judged from then on.
        self._blind_until = self._started_at.timestamp()
        self._seen: IngestState | None = None
        self._failing = False

    def observe(self, now: datetime) -> bool:
        """Look at our ingest; returns whether it works. Down now, or down (or dropped and
        back) since the last look: our outage ends no earlier than now."""
        state = self._ingest()
        previous = self._seen
        self._seen = state
        blind = not state.working or (
            previous is not None
            and (not previous.working or previous.connections != state.connections)
        )
        if blind:
            self._blind_until = now.timestamp()
        metrics.HEALTH_DEGRADED.set(0 if state.working else 1)
        return state.working

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.once()
            await pause(stop, self._every_s)

    async def once(self) -> None:
        """One turn: heartbeat, then the sweep. A database fault is logged once while it
        lasts, counted, and the next turn tries again."""
        now = self._clock()
        working = self.observe(now)
        try:
            async with self._pool.connection() as conn:
                async with conn.transaction():
                    await health_repo.write_heartbeat(
                        conn,
                        self._client_id,
                        started_at=self._started_at,
                        now=now,
                        ingesting=working,
                    )
                async with conn.transaction():
                    await self.sweep(conn, now)
                    # Every gateway's gauge, lease or not: a monitor may scrape any.
                    beats = await health_repo.heartbeats(conn)
        except Exception as exc:
            # A database fault, or a bug: either way the sweep must not stop the gateway's
            # ingest (an SOS path); it is counted, logged once while it lasts (class and
            # SQLSTATE only: a psycopg message can quote row values), and tried next turn.
            metrics.HEALTH_SWEEP_FAILURES.inc()
            if not self._failing:
                log.error(
                    "health sweep failed (%s, SQLSTATE %s); trying again",
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                )
            self._failing = True
            return
        age = silence_s([beat.silent_since for beat in beats], now)
        metrics.GATEWAY_HEARTBEAT_AGE.set(-1 if age is None else age)
        if self._failing:
            log.info("health sweep works again")
            self._failing = False

    async def sweep(self, conn: Conn, now: datetime) -> Findings | None:
        """The device and gateway sweep, in the caller's transaction; None when another
        process holds the lease."""
        if not await health_repo.try_lease(conn, HEALTH_LEASE):
            return None
        fleet = await fleet_health(conn, now=now, missed=MISSED_HEARTBEATS, low=self._battery.low)
        active = await health_repo.active_device_alerts(conn)
        state = _state(fleet, active, self._blind_until)
        findings = _leave_stuck(fleet, active, detect(state, now.timestamp(), self._battery))
        await _apply(conn, fleet, state, findings, now, storm=self._storm)
        await sweep_gateway_outage(conn, now)
        return findings


def _state(
    fleet: FleetHealth, active: list[health_repo.ActiveHealthAlert], blind: float
) -> HealthState:
    slot = {device_id: i for i, device_id in enumerate(fleet.ids)}
    offline = np.zeros(len(fleet.ids), dtype=np.bool_)
    battery = np.zeros(len(fleet.ids), dtype=np.bool_)
    for alert in active:
        i = slot.get(alert.device_id)
        if i is None:
            continue  # the device was deleted: its alert is a person's to close
        if alert.type == AlertType.DEVICE_OFFLINE:
            offline[i] = True
        else:
            battery[i] = True
    return HealthState(
        last_heard=np.array(fleet.last_heard, dtype=np.float64),
        interval_s=np.array(fleet.interval_s, dtype=np.float64),
        will=np.array(fleet.will, dtype=np.bool_),
        battery=np.array(fleet.battery, dtype=np.float64),
        offline_alert=offline,
        battery_alert=battery,
        blind_until=blind,
    )


def _leave_stuck(
    fleet: FleetHealth, active: list[health_repo.ActiveHealthAlert], found: Findings
) -> Findings:
    """A stuck sensor's alert (the detectors') is theirs to end: being heard again, as a
    stuck sensor is all the time, does not clear it here. It still counts as the device's
    open ``device_offline`` (no second one opens while it stands)."""
    stuck = {a.device_id for a in active if a.by_detector}
    if not stuck:
        return found
    back = [i for i in found.back_online.tolist() if fleet.ids[i] not in stuck]
    return replace(found, back_online=np.array(back, dtype=np.intp))


def _first_opens(fleet: FleetHealth, slots: npt.NDArray[np.intp]) -> list[int]:
    """At most ``MAX_OPENS_PER_SWEEP`` of ``slots``, devices that raise emergencies first."""
    ordered = sorted(slots.tolist(), key=lambda i: fleet.types[i] not in EMERGENCY_DEVICE_TYPES)
    return ordered[:MAX_OPENS_PER_SWEEP]


async def _apply(
    conn: Conn,
    fleet: FleetHealth,
    state: HealthState,
    found: Findings,
    now: datetime,
    *,
    storm: StormRule,
) -> None:
    offline = _first_opens(fleet, found.went_offline)
    low = _first_opens(fleet, found.battery_low)[: max(0, MAX_OPENS_PER_SWEEP - len(offline))]
    # A town's storm is one incident, its devices' alerts grouped under it (storm_services).
    signals = [_offline_signal(fleet, state, i, now) for i in offline]
    await storm_services.open_offline(conn, signals, now, storm)
    for i in low:
        signal = AlertSignal(
            AlertType.BATTERY_LOW,
            fleet.elder_ids[i],
            fleet.ids[i],
            actor=ACTOR,
            detail={"battery": int(state.battery[i])},
        )
        await open_alert(conn, signal, now)
    for i in found.back_online.tolist():
        await clear_device_alert(
            conn, AlertType.DEVICE_OFFLINE, fleet.ids[i], now, reason=DEVICE_BACK
        )
    for i in found.battery_ok.tolist():
        await clear_device_alert(conn, AlertType.BATTERY_LOW, fleet.ids[i], now, reason=BATTERY_OK)
    await storm_services.settle(conn, now)
    counts = {
        ("device_offline", "opened"): len(offline),
        ("battery_low", "opened"): len(low),
        ("device_offline", "cleared"): len(found.back_online),
        ("battery_low", "cleared"): len(found.battery_ok),
    }
    for (alert_type, action), count in counts.items():
        if count:
            metrics.HEALTH_ALERTS.labels(type=alert_type, action=action).inc(count)


def _offline_signal(fleet: FleetHealth, state: HealthState, i: int, now: datetime) -> AlertSignal:
    will = bool(state.will[i])
    heard = state.last_heard[i]
    detail: dict[str, object] = {"reason": "last_will" if will else "missed_heartbeats"}
    if not np.isnan(heard):
        detail["silent_s"] = round(now.timestamp() - float(heard))
    return AlertSignal(
        AlertType.DEVICE_OFFLINE,
        fleet.elder_ids[i],
        fleet.ids[i],
        severity=device_offline_severity(fleet.types[i]),
        actor=ACTOR,
        detail=detail,
    )
