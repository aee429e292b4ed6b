"""An elder's file, as the baselines read it (``Profiles``): one rule for the live gateway
(rows of the database) and ``tanfang evaluate`` (homes.json); and what the file alone
sets of the quiet limits: the cold-start defaults, the elder's own threshold, a
heightened watch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors.localtime import BIN_S, BINS

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
HOUR: Final = 3600.0

FRAIL_DISABILITY: Final = "severe"
ALONE: Final = frozenset({"alone", "left_behind"})
# Heightened watch (加密探訪): limits shortened by a quarter.
WATCH_FACTOR: Final = 0.75
# Cold start: a quiet beginning by day (07:00–20:00) or by night; frail people living
# alone sooner. A quiet beginning at night is a night's sleep until shown otherwise.
COLD_DAY_S: Final = 3 * HOUR
COLD_DAY_FRAIL_ALONE_S: Final = 2.5 * HOUR
COLD_NIGHT_S: Final = 11 * HOUR
COLD_DAY_HOURS: Final = (7, 20)


@dataclass(frozen=True, slots=True)
class Profiles:
    """Per slot, from the elder's file: ``frail`` (incapacitated, dementia or a severe
    disability), ``dementia``, ``alone`` (living alone or left behind), ``override_s``
    (``inactivity_alert_after_minutes`` × 60, NaN: none), ``watch`` (a heightened-watch
    period is in force for the elder's town)."""

    frail: Bools
    alone: Bools
    override_s: Floats
    watch: Bools
    dementia: Bools


@dataclass(frozen=True, slots=True)
class ElderFacts:
    """The contract's elder fields the detectors use, and whether a heightened-watch
    period of the elder's town is in force."""

    living_arrangement: str | None = "alone"
    incapacitated: bool = False
    dementia: bool = False
    disability_level: str | None = "none"
    inactivity_alert_after_minutes: float | None = None
    watch: bool = False


def profiles_of(elders: Sequence[ElderFacts]) -> Profiles:
    """Frail: incapacitated, dementia or a severe disability; alone: living alone or left
    behind; the elder's own threshold in seconds (NaN: none)."""
    return Profiles(
        frail=np.array([_frail(e) for e in elders], dtype=bool),
        alone=np.array([e.living_arrangement in ALONE for e in elders], dtype=bool),
        override_s=np.array(
            [
                math.nan
                if e.inactivity_alert_after_minutes is None
                else 60.0 * e.inactivity_alert_after_minutes
                for e in elders
            ],
            dtype=np.float64,
        ),
        watch=np.array([e.watch for e in elders], dtype=bool),
        dementia=np.array([e.dementia for e in elders], dtype=bool),
    )


def _frail(e: ElderFacts) -> bool:
    return e.incapacitated or e.dementia or e.disability_level == FRAIL_DISABILITY


def cold_limits(profiles: Profiles) -> Floats:
    """[slot, hour] defaults for an elder with under ``baseline.COLD_START_DAYS`` of history,
    by the hour a quiet began in."""
    hours = np.arange(BINS) * BIN_S / HOUR
    daytime = (hours >= COLD_DAY_HOURS[0]) & (hours < COLD_DAY_HOURS[1])
    day = np.where(profiles.frail & profiles.alone, COLD_DAY_FRAIL_ALONE_S, COLD_DAY_S)
    return np.where(daytime[None, :], day[:, None], COLD_NIGHT_S)


def personal_limits(limit: Floats, profiles: Profiles) -> Floats:
    """The elder's own fixed threshold replaces the learned one; a watch shortens it.
    Someone living with others is watched only with a threshold of their own: the home's
    silence is the household's, and its activity is not theirs."""
    fixed = ~np.isnan(profiles.override_s)
    limit = np.where(fixed[:, None, None], profiles.override_s[:, None, None], limit)
    limit = np.where((profiles.alone | fixed)[:, None, None], limit, np.inf)
    return np.where(profiles.watch[:, None, None], limit * WATCH_FACTOR, limit)
