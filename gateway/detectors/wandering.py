"""``night_wandering``: out of the home since the entrance door at night (23:00–05:00
local) and not back (no life since) for ``WANDER_S`` (``WANDER_DEMENTIA_S`` for an elder
with dementia) — unless leaving at night is usual for the elder (``Baseline.night_out``).
Leaving within ``VISIT_S`` of someone coming in is a visit (a carer, helpers taking the
elder to hospital), not wandering; nor is an outing a declared absence covered (the
hospital stay that ended before the elder is back). It clears when the elder is back (life
after the door)."""

from __future__ import annotations

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.moment import Moment
from gateway.detectors.night import at_night


def detect_wandering(m: Moment) -> Findings:
    state, baseline = m.state, m.baseline
    gone = m.now - state.out_since
    out = (
        m.homes.monitored
        & m.sensed
        & ~m.suppressed
        & state.gone()
        & at_night(state.out_since, m.offset_s)
        & (gone > baseline.wander_s)
        & state.left_alone()
        & state.out_unexcused()
    )
    fire = out.nonzero()[0]
    if not len(fire):
        return no_findings()
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.NIGHT_WANDERING, dtype=np.intp),
        reason=np.full(len(fire), findings.OUT_AT_NIGHT, dtype=np.intp),
        since=state.out_since[fire],
        usual_s=baseline.wander_s[fire],
        limit_s=baseline.wander_s[fire],
    )
