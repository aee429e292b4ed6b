"""``activity_drop`` (severity low): daily activity at home well below the elder's own
28-day median for days on end, or nights far busier than usual — a slow decline, not a bad
day (``baseline_daily``). Judged once a day when the baseline is rebuilt; raised while the
elder is at home, sensed and not under a declared absence (never while away)."""

from __future__ import annotations

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings
from gateway.detectors.moment import Moment


def detect_activity_drop(m: Moment) -> Findings:
    daily = m.baseline.daily
    watched = m.homes.monitored & m.sensed & ~m.suppressed & ~m.state.away()
    low = watched & ~np.isnan(daily.drop_since)
    busy = watched & ~np.isnan(daily.night_since) & ~low
    fire = np.flatnonzero(low | busy)
    is_low = low[fire]
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.ACTIVITY_DROP, dtype=np.intp),
        reason=np.where(is_low, findings.DROP, findings.RESTLESS).astype(np.intp),
        since=np.where(is_low, daily.drop_since[fire], daily.night_since[fire]),
        usual_s=np.where(is_low, daily.rate_usual[fire], daily.night_usual[fire]).astype(
            np.float64
        ),
        limit_s=np.where(is_low, daily.rate_recent[fire], daily.night_recent[fire]).astype(
            np.float64
        ),
    )
