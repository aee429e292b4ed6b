"""``activity_drop`` (severity low): daily activity at home well below the elder's own
28-day median for days on end, or nights far busier than usual — a slow decline, not a bad
day (``baseline_daily``). Judged once a day when the baseline is rebuilt; raised while the
elder is at home, sensed and not under a declared absence (never while away)."""

from __future__ import annotations

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.moment import Moment


def detect_activity_drop(m: Moment) -> Findings:
    daily = m.baseline.daily
    slots = daily.flagged  # the few elders the day's baseline flags
    if not len(slots):
        return no_findings()
    ok = m.homes.monitored[slots] & m.sensed[slots] & ~m.suppressed[slots]
    ok &= ~m.state.away()[slots]
    fire = slots[ok]
    is_low = ~np.isnan(daily.drop_since[fire])
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
