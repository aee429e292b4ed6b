"""Whether a home can be heard: a device's Last Will (``mark_offline``) and, per home,
whether every activity device is online now (``sensed``). A silent home whose sensors are
not is a device's fault, never the person's. Pure, over the household state."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gateway.detectors.homes import Homes
from gateway.detectors.state import HouseholdState

Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]


def mark_offline(homes: Homes, state: HouseholdState, device: Ints) -> None:
    """A device's Last Will (status ``offline``) stands until it is heard again."""
    state.will[device] = True


def sensed(homes: Homes, state: HouseholdState, now: float, missed: float) -> Bools:
    """Per slot: every activity device of the home is online now (heard within ``missed``
    heartbeat intervals, no Last Will). A silent home whose sensors are not is a device's
    fault, never the person's."""
    dead = homes.activity & (homes.device_slot >= 0)
    late = ~(now - state.seen <= missed * homes.device_interval_s)
    dead &= late | state.will
    out: Bools = np.bincount(homes.device_slot[dead], minlength=homes.n) == 0
    return out
