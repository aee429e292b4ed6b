"""``abnormal_temperature``: indoor ≥ 35 °C or ≤ 5 °C, every reading since, for
``SUSTAIN_S`` (contract §2). Not the heat index with humidity: in a humid summer it is
past 35 °C in nearly every home every afternoon (measured: docs/detection.md)."""

from __future__ import annotations

from typing import Final

import numpy as np

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.readings import COLD_C, HOT_C
from gateway.detectors.state import HouseholdState

SUSTAIN_S: Final = 30 * 60.0


def detect_temperature(state: HouseholdState, now: float) -> Findings:
    hot = now - state.hot_since >= SUSTAIN_S
    cold = now - state.cold_since >= SUSTAIN_S
    fire = (hot | cold).nonzero()[0]
    if not len(fire):
        return no_findings()
    is_hot = hot[fire]
    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.ABNORMAL_TEMPERATURE, dtype=np.intp),
        reason=np.where(is_hot, findings.HOT, findings.COLD).astype(np.intp),
        since=np.where(is_hot, state.hot_since[fire], state.cold_since[fire]),
        usual_s=state.temperature[fire],
        limit_s=np.where(is_hot, HOT_C, COLD_C),
    )
