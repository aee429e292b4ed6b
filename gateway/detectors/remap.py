"""Carrying household state and learned history from one fleet to the next: an elder or a
device added, removed or moved changes the slots, and what is known of everyone else must
survive it (the live gateway reloads the fleet while it runs). Pure."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

from gateway.detectors.baseline import Day, QuietHistory
from gateway.detectors.baseline_daily import DailyHistory
from gateway.detectors.homes import Homes
from gateway.detectors.state import HouseholdState, new_state

Ints = npt.NDArray[np.intp]
A = TypeVar("A", bound=np.generic)

# The state's per-device arrays; every other array is one slot per elder.
DEVICE_FIELDS: Final = frozenset(
    {"seen", "will", "run_start", "last_motion", "dev_life", "life_before_run", "watts"}
)


def _index(old: tuple[str, ...], new: tuple[str, ...]) -> Ints:
    """For each of ``new``, its position in ``old`` (-1: not there)."""
    where = {k: i for i, k in enumerate(old)}
    return np.array([where.get(k, -1) for k in new], dtype=np.intp)


def _carry(old: npt.NDArray[A], fresh: npt.NDArray[A], index: Ints) -> npt.NDArray[A]:
    out = fresh.copy()
    there = index >= 0
    out[there] = old[index[there]]
    return out


def remap_state(old_homes: Homes, state: HouseholdState, homes: Homes) -> HouseholdState:
    """``state`` of ``old_homes`` as the state of ``homes``: each elder and device keeps
    what was known of it; a new one starts unknown. A device moved to another elder keeps
    its own readings; the homes' times are the elders'."""
    slots = _index(old_homes.elder_ids, homes.elder_ids)
    devs = old_homes.device_ids.positions_of(homes.device_ids)
    fresh = new_state(homes)
    changes = {
        f.name: _carry(
            getattr(state, f.name),
            getattr(fresh, f.name),
            devs if f.name in DEVICE_FIELDS else slots,
        )
        for f in fields(HouseholdState)
    }
    return replace(fresh, **changes)


def _rows(old: npt.NDArray[A], index: Ints) -> npt.NDArray[A]:
    """``old``'s rows in the order of ``index``; a new row is unknown (NaN, False, 0)."""
    fill = np.nan if np.issubdtype(old.dtype, np.floating) else 0
    fresh = np.full((len(index), *old.shape[1:]), fill, dtype=old.dtype)
    return _carry(old, fresh, index)


def remap_history(old_homes: Homes, history: QuietHistory, homes: Homes) -> QuietHistory:
    """The learned days of ``history`` for the elders of ``homes``: every per-elder array
    (a row per slot) follows its elder."""
    slots = _index(old_homes.elder_ids, homes.elder_ids)
    n = old_homes.n

    def follow(value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n:
            return _rows(value, slots)
        return value

    out = QuietHistory(history.offset_s, homes.n, history.day, history.weekend)
    for f in fields(QuietHistory):
        if f.name not in ("offset_s", "n", "days"):
            setattr(out, f.name, follow(getattr(history, f.name)))
    out.days = [
        replace(d, **{f.name: follow(getattr(d, f.name)) for f in fields(Day)})
        for d in history.days
    ]
    out.daily = remap_daily(history.daily, slots)
    return out


def remap_daily(daily: DailyHistory, slots: Ints) -> DailyHistory:
    """The daily activity history (``activity_drop``) for the elders at ``slots``: today's
    running figures and each closed day's rates and nights follow their elder; a new one
    starts unknown (no rate, no night: not a low day)."""
    out = DailyHistory(len(slots))
    out.count = _carry(daily.count, out.count, slots)
    out.night = _carry(daily.night, out.night, slots)
    out.home_s = _carry(daily.home_s, out.home_s, slots)
    out.night_home = _carry(daily.night_home, out.night_home, slots)
    out.last, out.night_taken = daily.last, daily.night_taken
    out.rates = [_rows(r, slots) for r in daily.rates]
    out.nights = [_rows(r, slots) for r in daily.nights]
    out.ends = list(daily.ends)
    return out
