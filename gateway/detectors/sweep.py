"""The sweep: every detector over every home at once, at ``now``. The gateway runs it on
the wall clock, ``tanfang evaluate`` on event time — the same function."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.activity_drop import detect_activity_drop
from gateway.detectors.baseline import Baseline
from gateway.detectors.findings import Findings, concat
from gateway.detectors.homes import Homes
from gateway.detectors.inactivity import detect_inactivity
from gateway.detectors.moment import Moment
from gateway.detectors.state import HouseholdState, sensed
from gateway.detectors.stuck import detect_stuck, stuck_devices
from gateway.detectors.temperature import detect_temperature
from gateway.detectors.vitals import detect_vitals
from gateway.detectors.wandering import detect_wandering
from gateway.device_health import MISSED_HEARTBEATS

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


def sweep(  # noqa: PLR0917 - the sweep's inputs
    homes: Homes,
    state: HouseholdState,
    baseline: Baseline,
    now: float,
    offset_s: float,
    suppressed: Bools | None = None,
) -> Findings:
    """Every finding at ``now``; ``suppressed``: slots under a declared absence."""
    quiet = np.zeros(homes.n, dtype=bool) if suppressed is None else suppressed
    online = sensed(homes, state, now, MISSED_HEARTBEATS)
    m = Moment(homes, state, baseline, now, offset_s, online, quiet)
    found = [detect_inactivity(m), detect_wandering(m), detect_temperature(state, now)]
    found += [detect_vitals(m), detect_activity_drop(m), detect_stuck(homes, state, now)]
    return concat(found)


def cleared(
    homes: Homes, state: HouseholdState, opened_at: Floats, baseline: Baseline | None = None
) -> Bools:
    """``[slot, type]``: the condition of an alert opened at ``opened_at`` is over —
    inactivity: up and about since (life outside the bedroom: moving in bed is not up),
    or the elder went out; night wandering: back home; temperature: back in range; vitals:
    a reading back in range; activity drop: the day's baseline no longer says so; a stuck
    sensor: none of the home's is stuck at the home's clock."""
    out = np.zeros(opened_at.shape, dtype=bool)
    away = state.away()
    out[:, codes.INACTIVITY] = (state.up > opened_at[:, codes.INACTIVITY]) | away
    out[:, codes.ABNORMAL_TEMPERATURE] = np.isnan(state.hot_since) & np.isnan(state.cold_since)
    out[:, codes.NIGHT_WANDERING] = ~away
    out[:, codes.ABNORMAL_VITALS] = np.isnan(state.pulse_off_since)
    if baseline is not None:
        daily = baseline.daily
        out[:, codes.ACTIVITY_DROP] = np.isnan(daily.drop_since) & np.isnan(daily.night_since)
    out[:, codes.DEVICE_OFFLINE] = True
    out[homes.device_slot[stuck_devices(homes, state, None)], codes.DEVICE_OFFLINE] = False
    return out
