"""The sweep's findings as alerts, through ``alerting``: one active alert per elder and
type (the database's rule; ``open_alert`` counts on it), the finding's sentence in Chinese
and English as its summary, and the condition's end recorded.

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
from alerting.models import AlertSignal, AlertType, Outcome
from alerting.services import open_alert
from gateway import detect_repo
from gateway.detect_clock import WALL, DetectClock
from gateway.detectors import Findings, codes, describe
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import WEEKEND, day_type
from store.db import Conn

log = logging.getLogger(__name__)

ACTOR: Final = "detector"
CONDITION_OVER: Final = "condition_over"
OVER_REASON: Final = "condition over"
TYPES: Final = [AlertType(t) for t in codes.ALERT_TYPES]
# A stuck sensor's finding (``device_offline`` of one device) is keyed by the device, and the
# device-health loop raises and clears that type: the elder-keyed book here must neither
# hold nor clear those alerts. Scored by ``tanfang evaluate``; not raised live yet.
NOT_LIVE: Final = frozenset({codes.DEVICE_OFFLINE})
LIVE_TYPES: Final = [t for k, t in enumerate(TYPES) if k not in NOT_LIVE]

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

    async def refresh(self, conn: Conn) -> None:
        """The active alerts as stored; one that went away while we held it was resolved
        by a person: spared until its condition ends."""
        stored = await detect_repo.active_alerts(conn, [t.value for t in LIVE_TYPES])
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
        self.noted &= {h.id for h in now_active.values()}

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
        """Record the ends (``over[slot, type]``), then open the new findings' alerts;
        returns how many opened."""
        at = datetime.fromtimestamp(self.clock.to_wall(now), UTC)
        slot = {e: i for i, e in enumerate(homes.elder_ids)}
        for key in [k for k in self.spared if k[0] not in slot or over[slot[k[0]], k[1]]]:
            del self.spared[key]
        for (elder, k), held in list(self.active.items()):
            if elder in slot and over[slot[elder], k]:
                await self._over(conn, elder, k, held, at)
        opened = 0
        for row in range(len(found)):
            s, k = int(found.slot[row]), int(found.kind[row])
            elder = homes.elder_ids[s]
            if k in NOT_LIVE or (elder, k) in self.active or (elder, k) in self.spared:
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
            self.active[elder, k] = Held(change.alert.id, change.alert.status, now)
            opened += 1
        return opened

    async def _over(self, conn: Conn, elder: str, k: int, held: Held, at: datetime) -> None:
        alert_type = TYPES[k]
        if held.status == "open":
            subject = lifecycle.subject_of(alert_type, elder, None)
            await clear_alert(
                conn, alert_type, subject, at, reason=OVER_REASON, outcome=Outcome.OTHER
            )
            del self.active[elder, k]
        elif held.id not in self.noted:
            await repo.add_timeline(conn, held.id, CONDITION_OVER, at, actor=ACTOR)
            self.noted.add(held.id)
            log.info("alert %s: condition over while acked (type %s)", held.id, alert_type.value)


def _iso(t: float) -> str | None:
    return None if np.isnan(t) else datetime.fromtimestamp(t, UTC).isoformat()


def _seconds(s: float) -> float | None:
    return None if not np.isfinite(s) else round(s, 1)
