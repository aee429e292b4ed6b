"""What the detection leader holds while it leads (``Watch``): the fleet, the household
state, the baselines and their history, the feed's cursor, the detectors' alerts — built
from the database when it starts leading (``start_watch``), kept current by its turns
(``gateway.detection``)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from alerting import health_repo
from gateway import detect_repo, heap
from gateway.detect_alerts import DetectorAlerts
from gateway.detect_clock import WALL, DetectClock
from gateway.detect_feed import Feed, to_batch
from gateway.detect_history import hours_to_batch, replay
from gateway.detectors import (
    Baseline,
    DeviceInfo,
    Homes,
    HouseholdState,
    Profiles,
    QuietHistory,
    apply,
    build,
    build_homes,
    new_state,
)
from gateway.detectors.absences import Absences
from gateway.detectors.baseline import HISTORY_DAYS
from gateway.detectors.learning import Learning
from gateway.detectors.localtime import local_day
from gateway.detectors.night import HELP_S
from gateway.detectors.profiles import ElderFacts, profiles_of
from gateway.detectors.remap import remap_history, remap_state
from gateway.missed_checkin import MissedCheckins
from store.db import Conn

log = logging.getLogger(__name__)

# The rollup trails the events by up to ``gateway.upkeep.ROLLUP_EVERY`` (5 min): history is
# read from it up to the hour before the last, the events themselves after that.
ROLLUP_LAG: Final = timedelta(hours=1)
# A gateway heard within this long is running now (its heartbeat every few seconds).
LIVE_GATEWAY: Final = timedelta(seconds=60)

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


@dataclass(slots=True)
class Fleet:
    homes: Homes
    profiles: Profiles
    offline: list[str]  # devices under their Last Will
    last_seen: Floats  # per device of ``homes`` (NaN: never heard)
    slot_of: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.slot_of = {e: i for i, e in enumerate(self.homes.elder_ids)}

    def absences(self, declared: dict[str, tuple[bool, float]]) -> tuple[Bools, Floats]:
        """Per slot, of ``detect_repo.absences_now``: under a declared absence now, and the
        latest moment under one (NaN: none lately)."""
        live = np.zeros(self.homes.n, dtype=bool)
        excused = np.full(self.homes.n, np.nan)
        for elder, (now, until) in declared.items():
            i = self.slot_of.get(elder)
            if i is not None:
                live[i], excused[i] = now, until
        return live, excused


@dataclass(slots=True)
class Watch:
    fleet: Fleet
    version: tuple[Any, ...]
    state: HouseholdState
    history: QuietHistory
    baseline: Baseline
    feed: Feed
    alerts: DetectorAlerts
    missed: MissedCheckins
    learning: Learning
    next_fleet: float = -math.inf
    next_missed: float = -math.inf

    def refleet(self, fleet: Fleet, version: tuple[Any, ...], now: float) -> None:
        """A changed fleet: everyone's state and history follow them to their new slots; a
        new elder is watched from now (what came before is unknown), a new device is known
        to be alive from its ``last_seen``."""
        old = self.fleet.homes
        self.state = remap_state(old, self.state, fleet.homes)
        self.history = remap_history(old, self.history, fleet.homes)
        self.fleet, self.version = fleet, version
        self.baseline = rebuilt(self.history, fleet)
        known = set(old.elder_ids)
        new = np.array([e not in known for e in fleet.homes.elder_ids], dtype=bool)
        self.state.resumed = np.where(new, np.fmax(self.state.resumed, now), self.state.resumed)
        seed_devices(self.state, fleet, now)


async def fleet_version(conn: Conn, now: float, offset_s: float) -> tuple[Any, ...]:
    """What the fleet read depends on: the tables' state, and the local day (a heightened
    watch starts and ends with one)."""
    return (*await detect_repo.fleet_version(conn), local_day(now, offset_s))


async def read_fleet(conn: Conn, now: float, offset_s: float) -> Fleet:
    today = datetime.fromtimestamp(now + offset_s, UTC).date()
    elders = await detect_repo.elders(conn, today)
    devices = await detect_repo.devices(conn)
    homes = build_homes(
        (e.id for e in elders),
        (
            DeviceInfo(d.id, d.elder_id, d.type, d.room, float(d.heartbeat_interval_s))
            for d in devices
        ),
    )
    profiles = profiles_of(
        [
            ElderFacts(
                e.living_arrangement,
                e.incapacitated,
                e.dementia,
                e.disability_level,
                e.inactivity_alert_after_minutes,
                e.watch,
            )
            for e in elders
        ]
    )
    return Fleet(
        homes,
        profiles,
        [d.id for d in devices if d.online is False],
        np.array(
            [math.nan if d.last_seen is None else d.last_seen.timestamp() for d in devices],
            dtype=np.float64,
        ),
    )


def rebuilt(history: QuietHistory, fleet: Fleet) -> Baseline:
    """The fleet's baselines built from ``history``; the build's temporaries given back to
    the system (``gateway.heap``)."""
    baseline = build(history, fleet.homes, fleet.profiles)
    heap.release()
    return baseline


def seed_devices(state: HouseholdState, fleet: Fleet, now: float) -> None:
    """What the devices table knows: when each device was last heard, whose Last Will
    stands."""
    state.seen = np.fmax(state.seen, np.minimum(fleet.last_seen, now))
    mark_offline_now(state, fleet)


def mark_offline_now(state: HouseholdState, fleet: Fleet) -> None:
    """The devices table says which devices' Last Will stands now."""
    state.will[:] = False
    where = fleet.homes.device_ids.lookup(fleet.offline)
    state.will[where[where >= 0]] = True


async def start_watch(
    conn: Conn, now: float, offset_s: float, zone: str, clock: DetectClock = WALL
) -> Watch:
    """A new leader's state: the fleet; the rollup's history replayed into the state and the
    baselines (``gateway.detect_history``), and the calls for help of the hours before the
    feed; when each device was last heard; silence
    counted no earlier than the start of the oldest gateway running now (before it, nothing
    was ingested: our outage is not the elder's silence); the feed from the hour the
    history ends, and the active alerts."""
    at = datetime.fromtimestamp(now, UTC)
    version = await fleet_version(conn, now, offset_s)
    fleet = await read_fleet(conn, now, offset_s)
    homes = fleet.homes
    state = new_state(homes)
    history = QuietHistory(offset_s, homes.n)
    until = (at - ROLLUP_LAG).replace(minute=0, second=0, microsecond=0)
    begin = until - timedelta(days=HISTORY_DAYS + 1)
    rows = await detect_repo.activity_hours(conn, begin, until)
    # Declared absences are wall-clock times: on a simulated clock, carried onto it.
    wall = [datetime.fromtimestamp(clock.to_wall(t.timestamp()), UTC) for t in (begin, until)]
    declared = await detect_repo.absences_between(conn, *wall)
    on_clock = [(e, clock.of_wall(a), clock.of_wall(b)) for e, a, b in declared]
    absences = Absences.of(on_clock, homes.elder_ids)
    learning = replay(
        homes, state, history, hours_to_batch(rows, homes.device_ids), until.timestamp(), absences
    )
    # Live, the first turn observes at once; the baselines below are built from these days.
    learning.next_observe, learning.days_built = -math.inf, len(history.days)
    # The rollup holds activity, not presses: the calls for help of the hours before the
    # feed's first (the door of the help they brought is no wandering, ``HELP_S``).
    calls = await detect_repo.calls_between(conn, until - timedelta(seconds=HELP_S), until)
    apply(homes, state, to_batch(calls, homes.device_ids))
    seed_devices(state, fleet, now)
    # The gateways' starts are wall-clock times: on a simulated clock, carried onto it.
    since = await ingest_since(conn, datetime.fromtimestamp(clock.to_wall(now), UTC))
    state.resumed = np.fmax(state.resumed, clock.of_wall(since))
    alerts = DetectorAlerts(clock=clock)
    await alerts.refresh(conn)
    log.info(
        "detection: %s homes, %s days of history from %s rollup rows",
        homes.n,
        len(history.days),
        len(rows),
    )
    return Watch(
        fleet=fleet,
        version=version,
        state=state,
        history=history,
        baseline=rebuilt(history, fleet),
        feed=Feed(cursor=until.timestamp()),
        alerts=alerts,
        missed=MissedCheckins(zone),
        learning=learning,
    )


async def ingest_since(conn: Conn, now: datetime) -> float:
    """Since when events have been ingested without a break, as far as the running
    gateways tell: the oldest start of those heard lately (now, when none is)."""
    live = [
        h.started_at
        for h in await health_repo.heartbeats(conn)
        if h.seen_at >= now - LIVE_GATEWAY and h.ingesting
    ]
    return min(live).timestamp() if live else now.timestamp()
