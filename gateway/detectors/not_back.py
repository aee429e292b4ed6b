"""``inactivity``, not back: out of the home (the entrance door the latest evidence, no life
since) later in the evening than the latest the elder's history has seen them out, by a
margin (``Baseline.back_limit_s``, ``back.py``: + 90 min, never before 23:00; 23:00 for the
frail at cold start) — the elder who went to the market at 15:00 and is still not home at
midnight. Away does not last forever. Only for elders seen out on their own on at most
``back.HOUSEBOUND_SHARE`` of the days learned (everyone else's limit is inf). Off by
default (``sweep.DEFAULT_OFF``).

Not when the outing began at night (that is ``night_wandering``'s), not when the elder left
within ``VISIT_S`` of someone coming in (with a carer, with helpers to hospital: not
alone), not under a declared absence (a night with family that was said) nor for an outing
one covered that has ended before the elder is back, not for an
elder the history has seen out overnight (their limit is past the day's end), never while
a sensor of the home is offline. The alert ends when the elder is back and up."""

from __future__ import annotations

from typing import Final

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.back import evening_time
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.moment import Moment
from gateway.detectors.night import at_night

# Out at least this long: leaving at 21:30 for a walk is not "not back" at 21:31.
MIN_OUT_S: Final = 60 * 60.0


def detect_not_back(m: Moment) -> Findings:
    state, baseline = m.state, m.baseline
    # Most sweeps: the day is young, or the elders past their limit are few (the rule is
    # for those who seldom go out): the rest is judged on them alone.
    late = (evening_time(m.now, m.offset_s) > baseline.back_limit_s).nonzero()[0]
    if not len(late):
        return no_findings()
    since = state.out_since[late]
    out = (
        m.homes.monitored[late]
        & m.sensed[late]
        & ~m.suppressed[late]
        & state.gone(late)
        & (m.now - since >= MIN_OUT_S)
        & ~at_night(since, m.offset_s)
        & state.left_alone(late)
        & state.out_unexcused(late)
    )
    fire = late[out]
    if not len(fire):
        return no_findings()
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.INACTIVITY, dtype=np.intp),
        reason=np.full(len(fire), findings.NOT_BACK, dtype=np.intp),
        since=state.out_since[fire],
        usual_s=baseline.back_usual_s[fire],
        limit_s=baseline.back_limit_s[fire],
    )
