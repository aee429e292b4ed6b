"""Device health, pure: which devices are offline or low on battery now, and which of their
alerts the devices' own news clears. ``detect(state, now)`` → ``Findings``.

* **offline**: the device's Last Will (status ``offline``, ``online`` false), or no message
  of any kind for ``MISSED_HEARTBEATS`` × its ``heartbeat_interval_s``. Silence is counted
  from the later of when it was last heard and ``blind_until``, the end of our own outage
  (broker session down, commits failing): a gap of ours blames no device, and while we are
  blind (``blind_until`` = now) no device goes offline for silence. A device never heard
  from is not judged by silence (registered, not yet installed).
* **back**: heard within the window (its own last message, not our outage, is the evidence)
  and not under a Last Will: its ``device_offline`` clears.
* **battery**: below ``low`` opens ``battery_low``; it clears only above ``ok`` (hysteresis:
  a battery hovering at the threshold does not flap).

Arrays, one slot per device, so that a sweep over 100 000 devices is a few vector
operations; times are epoch seconds (NaN: never).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

# Two intervals, not one: a single heartbeat lost on a busy radio link is no fault.
MISSED_HEARTBEATS: Final = 2
BATTERY_LOW_PERCENT: Final = 15.0
BATTERY_OK_PERCENT: Final = 25.0

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Indexes = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class BatteryRule:
    """Opens below ``low`` %, clears above ``ok`` %."""

    low: float = BATTERY_LOW_PERCENT
    ok: float = BATTERY_OK_PERCENT

    def __post_init__(self) -> None:
        if not self.low < self.ok:
            raise ValueError("the battery clear level must be above the low level")


@dataclass(frozen=True, slots=True)
class HealthState:
    """The fleet as the sweep read it, slot ``i`` = device ``i``.

    ``last_heard``: epoch s of its last message (event or status ``online``), NaN: never;
    ``interval_s``: its heartbeat interval; ``will``: its Last Will stands (status
    ``offline``); ``battery``: %, NaN: unknown; ``offline_alert`` / ``battery_alert``: its
    alert of that type is active; ``blind_until``: epoch s at which our own outage ended
    (now while it lasts)."""

    last_heard: Floats
    interval_s: Floats
    will: Bools
    battery: Floats
    offline_alert: Bools
    battery_alert: Bools
    blind_until: float


@dataclass(frozen=True, slots=True)
class Findings:
    """Slots of the devices whose alerts to open and to clear."""

    went_offline: Indexes
    back_online: Indexes
    battery_low: Indexes
    battery_ok: Indexes


def detect(state: HealthState, now: float, battery: BatteryRule | None = None) -> Findings:
    rule = battery or BatteryRule()
    window = MISSED_HEARTBEATS * state.interval_s
    heard = ~np.isnan(state.last_heard)
    with np.errstate(invalid="ignore"):
        # NaN compares false: a device never heard from is neither silent nor heard lately.
        counted_from = np.fmax(state.last_heard, state.blind_until)
        silent = heard & (now - counted_from > window)
        heard_lately = now - state.last_heard <= window
        low = state.battery < rule.low
        charged = state.battery > rule.ok
    offline = state.will | silent
    back = heard_lately & ~state.will
    return Findings(
        went_offline=np.flatnonzero(offline & ~state.offline_alert),
        back_online=np.flatnonzero(back & state.offline_alert),
        battery_low=np.flatnonzero(low & ~state.battery_alert),
        battery_ok=np.flatnonzero(charged & state.battery_alert),
    )
