"""What every detector reads at one sweep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gateway.detectors.baseline import Baseline
from gateway.detectors.homes import Homes
from gateway.detectors.state import HouseholdState

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Moment:
    """The fleet, its state and baselines at ``now`` (epoch s), the zone's UTC offset;
    ``sensed``: the home's activity sensors are online; ``suppressed``: the elder must
    raise nothing of their activity (a declared absence)."""

    homes: Homes
    state: HouseholdState
    baseline: Baseline
    now: float
    offset_s: float
    sensed: Bools
    suppressed: Bools

    def watched(self) -> Bools:
        """At home, monitored, sensed, not suppressed: the homes whose silence means
        something."""
        out: Bools = self.homes.monitored & self.sensed & ~self.suppressed & ~self.state.away()
        return out
