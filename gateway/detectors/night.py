"""What counts as night for going out, and how long out at night is wandering."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors.localtime import DAY_S

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

NIGHT_HOURS: Final = (23.0, 5.0)
WANDER_S: Final = 15 * 60.0
# Dementia: tighter (issue 13).
WANDER_DEMENTIA_S: Final = 5 * 60.0
# Leaving this soon after someone came in is the end of a visit.
VISIT_S: Final = 2 * 3600.0
# The entrance door this soon after a call for help (an SOS press not cancelled, a fall
# detected) is help coming in — a neighbour, a contact person, the ambulance — not the
# elder going out. In a home without a motion sensor the helpers are not heard inside, so
# their arrival reads as the elder leaving. Hours, not minutes: the escalation runs
# through the contact persons until someone acknowledges, and someone may come late.
HELP_S: Final = 6 * 3600.0


def at_night(t: Floats, offset_s: float) -> Bools:
    """Local 23:00–05:00 (NaN: no)."""
    hour = (t + offset_s) % DAY_S / 3600.0
    out: Bools = (hour >= NIGHT_HOURS[0]) | (hour < NIGHT_HOURS[1])
    return out
