"""Daily activity, learned per elder, for ``activity_drop``: how active the elder is at home
on a day, and how busy their nights are, over the last ``HISTORY_DAYS`` days.

``observe_daily`` runs with ``baseline.observe`` (every few minutes of time) and keeps, for
the local day, the activity count so far (``HouseholdState.day_count``: events a person
causes; a stuck sensor's are not), the count by 05:00 (the night, 00:00–05:00) and the time
spent at home with the sensors online. ``close_daily`` at the local midnight turns them into
the day's **rate** (activity events per hour at home; a day with under ``MIN_HOME_S`` at
home — away, in hospital, sensors down — is no measure) and its **night** count (NaN when
the elder was not at home all night). ``build_daily`` compares the last days with the
elder's own 28-day median, robustly (median and MAD): a slow decline, not a bad day.
float32: 28 days × 2 values × 100 000 elders is 22 MB.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors.localtime import DAY_S

F32 = npt.NDArray[np.float32]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

HISTORY_DAYS: Final = 28
# A day's rate needs this many days of history before the rule speaks (cold start: none).
MIN_DAYS: Final = 14
MIN_HOME_S: Final = 12 * 3600.0
NIGHT_END_S: Final = 5 * 3600.0
# One observation stands for at most this much time at home (a pause in observing is not
# time at home).
MAX_STEP_S: Final = 3600.0
# activity_drop: each of the last ``DROP_DAYS`` measured days below ``DROP_RATIO`` × the
# median, and their mean below ``DROP_MEAN`` × the median and below median − ``DROP_MADS``
# robust deviations (1.4826 × MAD). The simulator's ordinary days: CV 0.35–0.5, 5–10 % of
# days below 60 % of the median.
DROP_DAYS: Final = 3
DROP_RATIO: Final = 0.75
DROP_MEAN: Final = 0.6
DROP_MADS: Final = 1.5
# Restless nights: each of the last ``RESTLESS_NIGHTS`` nights' count at least
# ``RESTLESS_FACTOR`` × the usual night and ``RESTLESS_EXTRA`` more than it.
RESTLESS_NIGHTS: Final = 3
RESTLESS_FACTOR: Final = 2.5
RESTLESS_EXTRA: Final = 8.0
MAD_SCALE: Final = 1.4826


@dataclass(slots=True)
class DailyHistory:
    """Today's running figures per slot, and the closed days (newest last)."""

    n: int
    count: F32 = field(init=False)
    night: F32 = field(init=False)
    home_s: F32 = field(init=False)
    night_home: Bools = field(init=False)
    last: float = float("nan")
    night_taken: bool = False
    rates: list[F32] = field(default_factory=list)
    nights: list[F32] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)  # each closed day's end (epoch s)

    def __post_init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.count = np.zeros(self.n, dtype=np.float32)
        self.night = np.full(self.n, np.nan, dtype=np.float32)
        self.home_s = np.zeros(self.n, dtype=np.float32)
        self.night_home = np.ones(self.n, dtype=bool)
        self.night_taken = False


def observe_daily(
    daily: DailyHistory,
    day_count: F32,
    home: Bools,
    now: float,
    midnight: float,
) -> None:
    """One observation at ``now`` of the local day beginning at ``midnight``: ``day_count``
    (activity so far today), ``home``: at home, monitored and sensed."""
    step = min(now - daily.last, MAX_STEP_S) if daily.last == daily.last else 0.0
    daily.last = now
    np.maximum(daily.count, day_count, out=daily.count)
    daily.home_s += np.where(home, np.float32(max(step, 0.0)), np.float32(0.0))
    if now - midnight < NIGHT_END_S:
        daily.night_home &= home
    elif not daily.night_taken:
        daily.night = np.where(daily.night_home, daily.count, np.nan).astype(np.float32)
        daily.night_taken = True


def close_daily(daily: DailyHistory, end: float) -> None:
    """The local day ending at ``end`` is over: keep its rate and night, start the next."""
    hours = daily.home_s / np.float32(3600.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(daily.home_s >= MIN_HOME_S, daily.count / hours, np.nan)
    daily.rates.append(rate.astype(np.float32))
    daily.nights.append(daily.night)
    daily.ends.append(end)
    del daily.rates[:-HISTORY_DAYS], daily.nights[:-HISTORY_DAYS], daily.ends[:-HISTORY_DAYS]
    daily._reset()


@dataclass(frozen=True, slots=True)
class DailyBaseline:
    """Per slot (float32, NaN: no finding): ``drop_since`` when the low days began (epoch
    s), the usual rate (``rate_usual``: the 28-day median) and the low days' mean
    (``rate_recent``); the same for restless nights (``night_since``, ``night_usual``,
    ``night_recent``)."""

    drop_since: Floats
    rate_usual: F32
    rate_recent: F32
    night_since: Floats
    night_usual: F32
    night_recent: F32
    flagged: npt.NDArray[np.intp]  # the slots with either finding


def empty_daily(n: int) -> DailyBaseline:
    none = np.full(n, np.nan, dtype=np.float32)
    never = np.full(n, np.nan)
    nothing = np.empty(0, dtype=np.intp)
    return DailyBaseline(never, none, none, never, none, none, nothing)


def _usual(stack: F32) -> tuple[F32, F32, npt.NDArray[np.intp]]:
    """Over days (axis 0), ignoring NaN: median, robust deviation, days measured."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a slot with no measured day
        med = np.nanmedian(stack, axis=0).astype(np.float32)
        mad = np.nanmedian(np.abs(stack - med), axis=0).astype(np.float32) * MAD_SCALE
    return med, mad, np.sum(~np.isnan(stack), axis=0)


def build_daily(daily: DailyHistory) -> DailyBaseline:
    """Compare each elder's last days with their own history of ``HISTORY_DAYS``."""
    n = daily.n
    if len(daily.rates) < MIN_DAYS:
        return empty_daily(n)
    rates = np.stack(daily.rates)
    nights = np.stack(daily.nights)
    med, mad, count = _usual(rates)
    recent = rates[-DROP_DAYS:]
    with np.errstate(invalid="ignore"):
        mean = recent.mean(axis=0)
        low = (
            (count >= MIN_DAYS)
            & (recent < DROP_RATIO * med).all(axis=0)
            & (mean < DROP_MEAN * med)
            & (mean < med - DROP_MADS * mad)
        )
    since = daily.ends[-DROP_DAYS] - DAY_S
    n_med, _, n_count = _usual(nights)
    last = nights[-RESTLESS_NIGHTS:]
    with np.errstate(invalid="ignore"):
        busy = (
            (n_count >= MIN_DAYS)
            & (last >= RESTLESS_FACTOR * n_med).all(axis=0)
            & (last >= n_med + RESTLESS_EXTRA).all(axis=0)
        )
    night_since = daily.ends[-RESTLESS_NIGHTS] - DAY_S
    return DailyBaseline(
        drop_since=np.where(low, since, np.nan),
        rate_usual=med,
        rate_recent=np.where(low, mean, np.nan).astype(np.float32),
        night_since=np.where(busy, night_since, np.nan),
        night_usual=n_med,
        night_recent=np.where(busy, last.min(axis=0), np.nan).astype(np.float32),
        flagged=np.flatnonzero(low | busy),
    )
