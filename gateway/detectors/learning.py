"""When the baselines learn: one step for the live sweep (``gateway.detection``), ``tanfang
evaluate`` and a new leader's replay of the stored history (``gateway.detect_history``), so
that the three cannot drift apart.

A new local day turns today's counts into yesterday's (``start_day``); the history observes
the household state every ``OBSERVE_S`` and at the first step of a new day (a day closes at
its end, not minutes later: the first sweeps after midnight must not judge with a day's
history missing); the baselines are to be rebuilt once a day of history has closed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gateway.detectors.baseline import OBSERVE_S, QuietHistory, observe
from gateway.detectors.hearing import sensed
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import local_day
from gateway.detectors.state import HouseholdState, start_day
from gateway.device_health import MISSED_HEARTBEATS

Bools = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Learning:
    """Where the learning stands: the local ``day`` of the last step (-1: none yet; a
    leader that replayed its history starts at the day it replayed to), when the next
    observation is due, and how many closed days the current baselines were built from."""

    day: int = -1
    next_observe: float = -math.inf
    days_built: int = 0

    def step(
        self,
        history: QuietHistory,
        homes: Homes,
        state: HouseholdState,
        now: float,
        suppressed: Bools | None = None,
        *,
        heartbeats: bool = True,
    ) -> bool:
        """Learn at ``now`` of the homes whose devices are all heard (nothing of an elder
        under a declared absence, ``suppressed``); True when a day has closed since the
        baselines were built — build them again. ``heartbeats=False``: the state holds
        none (a replay of the hourly rollup), so every home counts as heard."""
        day = local_day(now, history.offset_s)
        new_day = day != self.day
        if new_day:
            start_day(state)
            self.day = day
        if now < self.next_observe and not new_day:
            return False
        if heartbeats:
            heard = sensed(homes, state, now, MISSED_HEARTBEATS)
        else:
            heard = np.ones(homes.n, dtype=bool)
        observe(history, homes, state, now, heard, suppressed)
        self.next_observe = now + OBSERVE_S
        if len(history.days) == self.days_built:
            return False
        self.days_built = len(history.days)
        return True
