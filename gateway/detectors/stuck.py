"""A stuck motion sensor — firing with pauses under ``STUCK_GAP_S`` for more than
``STUCK_AFTER_S`` — is a device problem, not proof of life: the state stops counting its
firings as life (``state.STUCK_*``), and this finding tells staff to look at the device
(contract type ``device_offline``: the sensor no longer tells us anything; severity low).
It lasts while the sensor keeps firing, and clears when it pauses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings
from gateway.detectors.homes import Homes
from gateway.detectors.state import STUCK_AFTER_S, STUCK_GAP_S, HouseholdState

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


def stuck_devices(homes: Homes, state: HouseholdState, now: float | Floats) -> Bools:
    """Per device: stuck now (and assigned to an elder)."""
    with np.errstate(invalid="ignore"):
        running = now - state.last_motion <= STUCK_GAP_S
        long = state.last_motion - state.run_start > STUCK_AFTER_S
    out: Bools = running & long & (homes.device_slot >= 0)
    return out


def detect_stuck(homes: Homes, state: HouseholdState, now: float) -> Findings:
    dev = np.flatnonzero(stuck_devices(homes, state, now))
    slot = homes.device_slot[dev]
    return Findings(
        slot=slot,
        kind=np.full(len(dev), codes.DEVICE_OFFLINE, dtype=np.intp),
        reason=np.full(len(dev), findings.STUCK, dtype=np.intp),
        since=state.run_start[dev],
        usual_s=np.full(len(dev), STUCK_GAP_S),
        limit_s=np.full(len(dev), STUCK_AFTER_S),
        device=dev,
    )
