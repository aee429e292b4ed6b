"""``inactivity``: no activity anywhere in the home for longer than the elder's learned
limit for this half-hour (which also covers "not up by the usual time": in the morning
the usual quiet is short), or in the bathroom far longer than usual.

Never while the elder is out (the entrance door is the latest evidence), never while one
of the home's activity sensors is offline (a device's fault is not the person's), never
for an elder with no activity device (not monitored), never under a declared absence."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes, findings
from gateway.detectors.baseline import Baseline
from gateway.detectors.findings import Findings
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import day_type, local_day, time_bin
from gateway.detectors.state import HouseholdState

Bools = npt.NDArray[np.bool_]

MORNING_HOURS = (4.0, 12.0)


def detect_inactivity(  # noqa: PLR0917 - the sweep's inputs
    homes: Homes,
    state: HouseholdState,
    baseline: Baseline,
    now: float,
    sensed: Bools,
    suppressed: Bools,
    offset_s: float,
) -> Findings:
    """Findings at ``now``; ``sensed``: the home's activity sensors are online;
    ``suppressed``: a declared absence (or anything else that must raise nothing)."""
    q = now - state.life
    b, kind = time_bin(now, offset_s), day_type(now, offset_s)
    limit = baseline.limit_s[:, kind, b]
    watched = homes.monitored & sensed & ~suppressed & ~state.away() & ~np.isnan(q)
    quiet = watched & (q > limit)
    bath = watched & (state.room == codes.BATHROOM) & (q > baseline.bath_limit_s)
    fire = np.flatnonzero(quiet | bath)
    hour = (now + offset_s) % 86_400.0 / 3600.0
    morning = MORNING_HOURS[0] <= hour < MORNING_HOURS[1]
    slept = state.life[fire] < (local_day(now, offset_s) * 86_400.0 - offset_s + 4 * 3600.0)
    in_bed = (state.bed[fire] == 1.0) & morning & slept
    is_bath = bath[fire] & ~quiet[fire]
    reason = np.where(is_bath, findings.BATHROOM, np.where(in_bed, findings.IN_BED, findings.QUIET))
    usual = np.where(is_bath, baseline.bath_usual_s[fire], baseline.usual_s[fire, kind, b])
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.INACTIVITY, dtype=np.intp),
        reason=reason.astype(np.intp),
        since=state.life[fire],
        usual_s=usual,
        limit_s=np.where(is_bath, baseline.bath_limit_s[fire], limit[fire]),
    )
