"""The sweep's findings as alerts, through ``alerting``: one active alert per elder and
type (the database's rule; ``open_alert`` counts on it) — per device for a stuck sensor's
``device_offline``, which names the device — the finding's sentence in Chinese and
English as its summary, and the condition's end recorded.

When the condition ends (``gateway.detectors.sweep.cleared``): an alert nobody has acked is
resolved by the system (outcome ``other``, timeline ``cleared: condition over``) — the
pages stop, the elder is up again; an acked alert stays as it is with a timeline row
``condition_over``: someone is on it and closes it with what they found. An alert a person
resolved while its condition still holds is not raised again until the condition has
ended once (they looked: the same silence is not news)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from alerting import lifecycle, repo
from alerting.clearing import clear_alert
from alerting.models import DETECTOR_ACTOR, AlertSignal, AlertType, Outcome
from alerting.services import open_alert
from gateway import detect_repo
from gateway.detect_clock import WALL, DetectClock
from gateway.detectors import Findings, codes, describe
from gateway.detectors.findings import devices
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import WEEKEND, day_type
from store.db import Conn

log = logging.getLogger(__name__)

ACTOR: Final = DETECTOR_ACTOR
CONDITION_OVER: Final = "condition_over"
OVER_REASON: Final = "condition over"
TYPES: Final = [AlertType(t) for t in codes.ALERT_TYPES]
# A stuck sensor's finding (``device_offline`` of one device) is keyed by the device, as the
# device-health loop keys that type: held here by device id, and only those the detectors
# opened (the loop's own — silence, a Last Will — are the loop's to hold and end; it leaves
# the detectors' alone: ``alerting.health_repo.active_device_alerts``).
BY_DEVICE: Final = frozenset({codes.DEVICE_OFFLINE})
BY_ELDER: Final = [t for k, t in enumerate(TYPES) if k not in BY_DEVICE]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Held:
    """An active alert of a detector's type: its id, status, and when it opened (epoch)."""

    id: int
    status: str
    opened_at: float


@dataclass(slots=True)
class DetectorAlerts:
    """What the leader knows of its alerts: the active ones (read again every sweep: people
    ack and resolve them), those whose end was noted, those a person resolved while their
    condition held (``spared``, with their opening time). Times here are the detection's
    clock; the database's (an alert's opening, its end) the wall clock: ``clock`` carries
    one onto the other, so that on a simulated clock an alert opens at the wall time it was
    raised and its escalation runs on the wall clock."""

    clock: DetectClock = WALL
    active: dict[tuple[str, int], Held] = field(default_factory=dict)
    noted: set[int] = field(default_factory=set)
    spared: dict[tuple[str, int], float] = field(default_factory=dict)
    # A stuck sensor's alerts, by device id (``BY_DEVICE``), and those a person resolved.
    stuck: dict[str, Held] = field(default_factory=dict)
    stuck_spared: set[str] = field(default_factory=set)

    async def refresh(self, conn: Conn) -> None:
        """The active alerts as stored; one that went away while we held it was resolved
        by a person: spared until its condition ends."""
        stored = await detect_repo.active_alerts(conn, [t.value for t in BY_ELDER])
        now_active = {
            (a.elder_id, codes.ALERT_TYPES.index(a.type)): Held(
                a.id, a.status, self.clock.of_wall(a.opened_at.timestamp())
            )
            for a in stored
        }
        for key, held in self.active.items():
            if key not in now_active:
                self.spared[key] = held.opened_at
        self.active = now_active
        stuck = {
            a.device_id: Held(a.id, a.status, self.clock.of_wall(a.opened_at.timestamp()))
            for a in await detect_repo.active_stuck_alerts(conn)
        }
        self.stuck_spared |= self.stuck.keys() - stuck.keys()
        self.stuck = stuck
        held_ids = [h.id for h in now_active.values()] + [h.id for h in stuck.values()]
        self.noted &= set(held_ids)

    def opened_at(self, homes: Homes) -> Floats:
        """``[slot, type]``: when the active (or spared) alert opened, NaN: none."""
        out = np.full((homes.n, len(TYPES)), np.nan)
        slot = {e: i for i, e in enumerate(homes.elder_ids)}
        for (elder, k), at in self.spared.items():
            if elder in slot:
                out[slot[elder], k] = at
        for (elder, k), held in self.active.items():
            if elder in slot:
                out[slot[elder], k] = held.opened_at
        return out

    async def settle(
        self,
        conn: Conn,
        homes: Homes,
        found: Findings,
        over: Bools,
        *,
        now: float,
        offset_s: float,
    ) -> int:
        """Record the ends (``over[slot, type]``; a stuck sensor's: no longer among the
        findings), then open the new findings' alerts; returns how many opened."""
        at = datetime.fromtimestamp(self.clock.to_wall(now), UTC)
        device = devices(found)
        names = [
            homes.device_ids.name(int(device[row])) if found.kind[row] in BY_DEVICE else None
            for row in range(len(found))
        ]
        await self._ends(conn, homes, over, {n for n in names if n is not None}, at)
        opened = 0
        for row, name in enumerate(names):
            s, k = int(found.slot[row]), int(found.kind[row])
            elder = homes.elder_ids[s]
            if name in self.stuck or name in self.stuck_spared:
                continue
            if name is None and ((elder, k) in self.active or (elder, k) in self.spared):
                continue
            zh, en = describe(
                k,
                int(found.reason[row]),
                float(found.since[row]),
                float(found.usual_s[row]),
                now,
                offset_s,
                weekend=day_type(now, offset_s) == WEEKEND,
                value=float(found.usual_s[row]),
                limit=float(found.limit_s[row]),
            )
            signal = AlertSignal(
                TYPES[k],
                elder,
                name,
                summary=f"{zh} / {en}",
                actor=ACTOR,
                detail={
                    "zh": zh,
                    "en": en,
                    "reason": int(found.reason[row]),
                    "since": _iso(float(found.since[row])),
                    "limit_s": _seconds(float(found.limit_s[row])),
                },
            )
            change = await open_alert(conn, signal, at)
            held = Held(change.alert.id, change.alert.status, now)
            if name is None:
                self.active[elder, k] = held
            else:
                self.stuck[name] = held
            opened += 1
        return opened

    async def _ends(
        self, conn: Conn, homes: Homes, over: Bools, stuck: set[str], at: datetime
    ) -> None:
        """The conditions that ended: ``over[slot, type]`` of the elders' alerts, a sensor
        no longer ``stuck`` of the devices'. Spared alerts are raised again only after."""
        slot = {e: i for i, e in enumerate(homes.elder_ids)}
        for key in [k for k in self.spared if k[0] not in slot or over[slot[k[0]], k[1]]]:
            del self.spared[key]
        for (elder, k), held in list(self.active.items()):
            if elder in slot and over[slot[elder], k]:
                subject = lifecycle.subject_of(TYPES[k], elder, None)
                if await self._over(conn, TYPES[k], subject, held, at):
                    del self.active[elder, k]
        self.stuck_spared &= stuck
        for name, held in list(self.stuck.items()):
            if name not in stuck:
                subject = lifecycle.subject_of(AlertType.DEVICE_OFFLINE, None, name)
                if await self._over(conn, AlertType.DEVICE_OFFLINE, subject, held, at):
                    del self.stuck[name]

    async def _over(
        self, conn: Conn, alert_type: AlertType, subject: str, held: Held, at: datetime
    ) -> bool:
        """The condition of ``held`` ended: resolved by the system when nobody acked it
        (True: it is no longer active), else noted once on its timeline."""
        if held.status == "open":
            await clear_alert(
                conn, alert_type, subject, at, reason=OVER_REASON, outcome=Outcome.OTHER
            )
            return True
        if held.id not in self.noted:
            await repo.add_timeline(conn, held.id, CONDITION_OVER, at, actor=ACTOR)
            self.noted.add(held.id)
            log.info("alert %s: condition over while acked (type %s)", held.id, alert_type.value)
        return False


def _iso(t: float) -> str | None:
    return None if np.isnan(t) else datetime.fromtimestamp(t, UTC).isoformat()


def _seconds(s: float) -> float | None:
    return None if not np.isfinite(s) else round(s, 1)
