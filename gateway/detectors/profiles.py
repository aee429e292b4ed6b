"""An elder's file, as the baselines read it (``Profiles``): one rule for the live gateway
(rows of the database) and ``tanfang evaluate`` (homes.json)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from gateway.detectors.baseline import Profiles

FRAIL_DISABILITY: Final = "severe"
ALONE: Final = frozenset({"alone", "left_behind"})


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
        frail=np.array(
            [
                e.incapacitated or e.dementia or e.disability_level == FRAIL_DISABILITY
                for e in elders
            ],
            dtype=bool,
        ),
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
