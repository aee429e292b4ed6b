"""What "not back" learns (``not_back``): how late in the evening the elder has been seen
out on their own, and whether they go out at all. Times are ``evening_time``: seconds
after the local midnight of a day that runs from 04:00 to 04:00 (01:00 is 25 h)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from gateway.detectors.localtime import DAY_S

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
AnyFloats = npt.NDArray[np.floating[Any]]

HOUR: Final = 3600.0
MIN: Final = 60.0
# The day of ``evening_time`` begins then (the late wake-up's ``WAKE_FROM_S`` too).
DAY_FROM_S: Final = 4 * HOUR
# Not back (``not_back``): out later than the latest the history has seen the elder out,
# by this margin; never before ``BACK_FLOOR_S``; cold start: ``COLD_BACK_S``. Times are
# seconds after local midnight, on a day that begins at 04:00: out at
# 01:00 is the evening's, 25 h. Only for an elder who seldom goes out (seen out on their
# own on at most ``HOUSEBOUND_SHARE`` of the days learned, a declared absence not counted;
# at cold start: frail): someone out most days, who now and then spends a night with
# family without a word to anyone, would be called at every such night — that is what a
# declared absence is for. (On tuning seed 8, 27 days: incapacitated and bed-bound elders
# are seen out on 7–41 % of days — mostly a carer staying over 2 h, then a still elder —
# dementia 26–100 %, old people living alone 33–81 %, active ones 56–96 %; 40 % let in
# dementia elders who spend nights with family, 30 % few of them.)
BACK_MARGIN_S: Final = 90 * MIN
BACK_FLOOR_S: Final = 23 * HOUR
COLD_BACK_S: Final = 23 * HOUR
HOUSEBOUND_SHARE: Final = 0.3
OUTING_S: Final = 10 * MIN  # out this long (no life since the door) is an outing


def evening_time(now: float, offset_s: float) -> float:
    """``now`` as seconds after the local midnight of a day that runs from 04:00 to 04:00
    (01:00 is 25 h: the evening before's)."""
    return (now + offset_s - DAY_FROM_S) % DAY_S + DAY_FROM_S


def back_limits(
    out_late: Sequence[AnyFloats], frail: Bools, *, learned: bool
) -> tuple[Floats, Floats]:
    """Per slot, from each closed day's latest time seen out (``out_late``, NaN: not out):
    out later than the first (``evening_time``) is not back (inf: the rule does not apply
    to the elder); the second is the latest seen out (NaN: never, or not ``learned`` —
    then the frail are held to ``COLD_BACK_S``)."""
    if not learned:
        return np.where(frail, COLD_BACK_S, np.inf), np.full(len(frail), np.nan)
    days = np.stack(out_late)
    latest = np.fmax.reduce(days, axis=0).astype(np.float64)
    housebound = np.sum(~np.isnan(days), axis=0) <= HOUSEBOUND_SHARE * len(days)
    return np.where(housebound, np.fmax(latest + BACK_MARGIN_S, BACK_FLOOR_S), np.inf), latest
