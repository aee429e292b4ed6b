"""The gateway's device-health rule (``gateway.device_health``: ``device_offline`` on a Last
Will or ``MISSED_HEARTBEATS`` heartbeat intervals of silence, ``battery_low`` below 15 %
until above 25 %) run by ``tanfang evaluate`` in event time over the file, as the health
loop runs it on the wall clock over the devices table: the same ``detect`` on the same
facts — when each device was last heard (its events and statuses, as the household
state keeps them for the detectors; a message the gateway refuses is not heard), whether
its Last Will stands, and the battery it last reported.

One alert per device and type, open until its condition clears (back online, recharged).
The live loop's caps and storm grouping (a town's outage as one incident) are left out: a
file has no outage of a town. Devices of no elder raise nothing (truth never names them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import EventBatch, Homes
from gateway.detectors.state import HouseholdState
from gateway.device_health import HealthState, detect
from tanfang.eval_score import Alert

# How often the rule runs, in event time: alerts whose conditions last hours (two missed
# heartbeats, a draining battery), so a minute is exact enough and costs little.
HEALTH_EVERY_S: Final = 60.0

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(slots=True)
class HealthBook:
    """Per device of ``homes``: its last reported battery (NaN: none), and whether its
    ``device_offline`` / ``battery_low`` alert is open; ``since``: silence is counted from
    no earlier than this (``blind_until``; ``tanfang evaluate`` sets the file's first event:
    the status lines before it carry no time)."""

    homes: Homes
    since: float = -np.inf
    battery: Floats = field(init=False)
    offline: Bools = field(init=False)
    low: Bools = field(init=False)
    last: float = field(init=False, default=-np.inf)

    def __post_init__(self) -> None:
        n = len(self.homes.device_ids)
        self.battery = np.full(n, np.nan)
        self.offline = np.zeros(n, dtype=bool)
        self.low = np.zeros(n, dtype=bool)

    def feed(self, part: EventBatch) -> None:
        """The latest battery each device of ``part`` reported (file order)."""
        if part.battery is None:
            return
        said = np.flatnonzero(~np.isnan(part.battery))[::-1]  # the last report first
        devices, first = np.unique(part.device[said], return_index=True)
        self.battery[devices] = part.battery[said[first]]

    def sweep(self, state: HouseholdState, now: float) -> list[Alert]:
        """The alerts the rule opens at ``now`` (every ``HEALTH_EVERY_S``; none between)."""
        if now - self.last < HEALTH_EVERY_S:
            return []
        self.last = now
        homes = self.homes
        found = detect(
            HealthState(
                last_heard=state.seen,
                interval_s=homes.device_interval_s,
                will=state.will,
                battery=self.battery,
                offline_alert=self.offline,
                battery_alert=self.low,
                blind_until=self.since,
            ),
            now,
        )
        self.offline[found.went_offline] = True
        self.offline[found.back_online] = False
        self.low[found.battery_low] = True
        self.low[found.battery_ok] = False
        return [
            Alert(homes.elder_ids[slot], kind, now, homes.device_ids.name(int(d)))
            for kind, opened in (
                ("device_offline", found.went_offline),
                ("battery_low", found.battery_low),
            )
            for d in opened
            if (slot := int(homes.device_slot[d])) >= 0
        ]
