"""``abnormal_vitals``: the wearable's heart rate outside ``PULSE_LOW``–``PULSE_HIGH`` bpm
(40–130) at every reading for ``SUSTAIN_S`` (10 min) — at least two readings, so one spike
(a stair climb, the band slipping) is not an alarm. A band taken off sends nothing, and
nothing is no alarm: the latest reading must be fresh (``STALE_S``). Clears at the first
reading back in range (a band taken off during an episode keeps its alert open)."""

from __future__ import annotations

from typing import Final

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.moment import Moment
from gateway.detectors.readings import PULSE_GAP_S, PULSE_HIGH, PULSE_LOW

SUSTAIN_S: Final = 10 * 60.0
STALE_S: Final = PULSE_GAP_S


def detect_vitals(m: Moment, sustain_s: float = SUSTAIN_S) -> Findings:
    state, now = m.state, m.now
    run = (state.pulse_off_since <= now - sustain_s).nonzero()[0]  # NaN: no run
    since = state.pulse_off_since[run]
    out = ~m.suppressed[run] & (state.pulse_at[run] > since)
    out &= now - state.pulse_at[run] <= STALE_S
    fire = run[out]
    if not len(fire):
        return no_findings()
    high = state.pulse[fire] > PULSE_HIGH
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.ABNORMAL_VITALS, dtype=np.intp),
        reason=np.where(high, findings.PULSE_HIGH, findings.PULSE_LOW).astype(np.intp),
        since=since[out],
        usual_s=state.pulse[fire].astype(np.float64),
        limit_s=np.where(high, PULSE_HIGH, PULSE_LOW),
    )
