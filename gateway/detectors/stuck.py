"""A stuck motion sensor — firing with pauses under ``STUCK_GAP_S`` for more than
``STUCK_AFTER_S`` — is a device problem, not proof of life: the state stops counting its
firings as life (``state.STUCK_*``), and this finding tells staff to look at the device
(contract type ``device_offline``: the sensor no longer tells us anything; severity low).
It lasts while the sensor keeps firing, and clears when it pauses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes, findings
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.homes import Homes
from gateway.detectors.state import STUCK_AFTER_S, STUCK_GAP_S, HouseholdState

Ints = npt.NDArray[np.intp]


def stuck_devices(homes: Homes, state: HouseholdState, now: float | None) -> Ints:
    """The devices stuck at ``now`` (``None``: at each one's home clock), assigned to an
    elder. Runs over every device at every sweep: one subtraction picks the few long runs
    first."""
    with np.errstate(invalid="ignore"):
        long = (state.last_motion - state.run_start > STUCK_AFTER_S).nonzero()[0]
        at = state.clock[homes.device_slot[long]] if now is None else now
        running = at - state.last_motion[long] <= STUCK_GAP_S
    dev = long[running]
    out: Ints = dev[homes.device_slot[dev] >= 0]
    return out


def detect_stuck(homes: Homes, state: HouseholdState, now: float) -> Findings:
    dev = stuck_devices(homes, state, now)
    if not len(dev):
        return no_findings()
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
