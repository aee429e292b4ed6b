"""Per-elder baselines learned from their own history: how long a quiet spell usually lasts
when it **begins** at a given hour of the day, in the bedroom, a room one passes through
or elsewhere (where the elder was last seen before it), and how long a bathroom stay and
getting up usually take. Plain arrays, built by pure functions.

Why the spell's beginning, not the hour it has reached: a quiet that began at 18:49 in the
living room and runs past midnight is not a night's sleep, though by midnight the home is
usually quiet for hours; and a quiet that began at 21:40 in the bedroom is. Indexing by
"now" gave every evening fall the night's limit.

Learning: ``observe`` is called on the household state every ``OBSERVE_S`` of time (the
gateway: on its sweep; ``tanfang evaluate``: on event time) and keeps, per local day, place
(``PLACES``) and hour in which the spell began, the longest quiet spell seen while the
elder was at home and the sensors online. ``build`` turns up to ``HISTORY_DAYS`` such days
into limits: each day's longest spell beginning within ``WIDEN_BINS`` hours, the
second-longest day of those (one odd day — a fall, an illness — is not the norm), times
``FACTOR`` plus ``MARGIN_S``. Fewer than ``COLD_START_DAYS`` days: conservative defaults by
frailty and living arrangement (``cold_limits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes, quiet_code
from gateway.detectors.back import OUTING_S, back_limits, evening_time
from gateway.detectors.baseline_daily import (
    DailyBaseline,
    DailyHistory,
    build_daily,
    close_daily,
    observe_daily,
)
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import BIN_S, BINS, DAY_S, day_type, local_day
from gateway.detectors.night import WANDER_DEMENTIA_S, WANDER_S, at_night
from gateway.detectors.profiles import Profiles, cold_limits, personal_limits
from gateway.detectors.state import HouseholdState

Floats = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]
AnyFloats = npt.NDArray[np.floating[Any]]
# Homes whose quiet limits are rebuilt at once: the rebuild's temporaries (the days
# stacked, widened, sorted) stay ~300 MiB whatever the fleet (all of 100 000 at once: 6 GiB).
BUILD_CHUNK: Final = 4096

HOUR: Final = 3600.0
MIN: Final = 60.0
OBSERVE_S: Final = 300.0
HISTORY_DAYS: Final = 28
COLD_START_DAYS: Final = 14
# An hour needs this many days of observation of its own place, else both pooled.
MIN_DAYS_PER_BIN: Final = 3
# Where the quiet began (where the elder was last seen, ``HouseholdState.quiet_room``): in
# the bedroom (going to bed, a nap),
# passing through (the kitchen, the bathroom, the entrance: rooms one does not sit still
# in for hours, so a long quiet beginning there is the most suspect), or elsewhere (the
# living room's chair and TV, a room the kit does not name).
PLACES: Final = 3
ELSEWHERE: Final = 0
IN_BEDROOM: Final = 1
PASSING: Final = 2
_PLACE: Final = {
    "bedroom": IN_BEDROOM,
    "kitchen": PASSING,
    "bathroom": PASSING,
    "entrance": PASSING,
}
_PLACE_OF_ROOM: Final = np.array([_PLACE.get(r, ELSEWHERE) for r in codes.ROOMS], dtype=np.intp)
# A day's spell beginning in an hour counts for this many hours either side: the same
# habit drifts from day to day.
WIDEN_BINS: Final = 3
# The second-longest day's: one odd day (a fall, an illness) is not the norm.
QUIET_RANK: Final = 2
FACTOR: Final = 2.5
MARGIN_S: Final = 45 * MIN
MIN_LIMIT_S: Final = 3 * HOUR
# A quiet beginning where one passes through is judged sooner: its learned limit (the
# same factor and margin) is floored here, not at ``MIN_LIMIT_S``.
MIN_PASSING_LIMIT_S: Final = 60 * MIN
MAX_LIMIT_S: Final = 14 * HOUR
BATH_FACTOR: Final = 1.5
BATH_MARGIN_S: Final = 10 * MIN
BATH_MIN_S: Final = 25 * MIN
BATH_MAX_S: Final = 60 * MIN  # a longer limit: the home cannot time a bathroom stay
# Up for the day: the first ``state.up_for_day`` after 04:00 (10 min outside the bedroom,
# not a trip to the toilet); late when past the
# ``WAKE_RANK``-th latest such time of the history (weekdays and weekends apart) by
# ``WAKE_MARGIN_S``.
WAKE_FROM_S: Final = 4 * HOUR
WAKE_RANK: Final = 1
WAKE_MARGIN_S: Final = 60 * MIN
# Going out at night on this many days of the history is usual for the elder.
USUAL_NIGHTS_OUT: Final = 2


@dataclass(frozen=True, slots=True)
class Baseline:
    """``limit_s[slot, place, hour]``: a quiet that began in that hour, its last
    life in that place (``ELSEWHERE``, ``IN_BEDROOM``), is inactivity once longer than
    this; ``usual_code`` the same before factor and margin (what the sentence calls usual)
    as a ``quiet_code`` (0: unknown) — it is one of the days' quiets, so the byte loses
    nothing; ``usual_s`` decodes it;
    ``bath_limit_s`` / ``bath_usual_s``: a bathroom stay (inf: no bathroom sensor);
    ``wake_limit_s[slot, day_type]`` / ``wake_usual_s``: not up by then (s after local
    midnight) is late (NaN: no such rule yet);
    ``back_limit_s`` / ``back_usual_s``: out later than this (s after the local midnight
    of a day from 04:00 to 04:00, up to 28 h; inf: never) is not back (``back_usual_s``:
    the latest seen out, NaN: never seen out or cold start);
    ``days``: days of history behind it (below ``COLD_START_DAYS``: defaults)."""

    limit_s: F32
    usual_code: quiet_code.Codes
    bath_limit_s: Floats
    bath_usual_s: Floats
    wake_limit_s: Floats
    wake_usual_s: Floats
    wander_s: Floats
    back_limit_s: Floats
    back_usual_s: Floats
    days: npt.NDArray[np.intp]
    daily: DailyBaseline

    @property
    def usual_s(self) -> F32:
        """``usual_code`` in seconds, all of it (NaN: unknown): for tests and tools."""
        return quiet_code.decode(self.usual_code)


@dataclass(frozen=True, slots=True)
class Day:
    """One local day of one home's history: the longest quiet per place and hour it
    began in (``[slot, place, hour]``, a byte each: ``quiet_code``), the longest
    bathroom stay, when the elder was first up (s after local midnight; NaN: not seen),
    whether they went out at night, the latest they were seen out (``out_late``: s after
    the local midnight of a day from 04:00; NaN: not out)."""

    weekend: bool
    quiet: quiet_code.Codes
    bath: F32
    wake: F32
    night_out: Bools
    out_late: F32


@dataclass(slots=True)
class QuietHistory:
    """Per local day: the longest quiet per slot, place and hour it began in (a byte each:
    ``quiet_code``, monotonic, so today's longest is the largest code), the longest bathroom stay,
    the first time up, a night out, the latest seen out."""

    offset_s: float
    n: int
    day: int = -1
    weekend: bool = False
    today: quiet_code.Codes = field(init=False)
    bath_today: Floats = field(init=False)
    wake_today: Floats = field(init=False)
    night_out_today: Bools = field(init=False)
    out_late_today: Floats = field(init=False)
    days: list[Day] = field(default_factory=list)
    daily: DailyHistory = field(init=False)  # activity per day (activity_drop)

    def __post_init__(self) -> None:
        self.daily = DailyHistory(self.n)
        self.today = np.zeros((self.n, PLACES, BINS), dtype=np.uint8)
        self.bath_today = np.full(self.n, np.nan)
        self.wake_today = np.full(self.n, np.nan)
        self.night_out_today = np.zeros(self.n, dtype=bool)
        self.out_late_today = np.full(self.n, np.nan)


def observe(  # noqa: PLR0917 - the moment's inputs
    history: QuietHistory,
    homes: Homes,
    state: HouseholdState,
    now: float,
    sensed: Bools,
    suppressed: Bools | None = None,
) -> None:
    """Record the quiet spell running at ``now`` for every home at home and sensed, under
    the place and hour it began in, and how late the elder is out. Nothing is learned
    of an elder under a declared absence (``suppressed``): a week in hospital says nothing
    of when they come home."""
    day = local_day(now, history.offset_s)
    if day != history.day:
        _close_day(history)
        history.day, history.weekend = day, day_type(now, history.offset_s) == 1
    heard = np.fmax(state.life, state.resumed)
    q = now - heard
    known = homes.monitored & sensed
    if suppressed is not None:
        known &= ~suppressed
    ok = known & ~state.away() & ~np.isnan(q)
    cell = (np.arange(history.n), place_of(state), start_bin(heard, history.offset_s))
    seen = quiet_code.encode(np.where(ok, q, np.nan).astype(np.float32))
    history.today[cell] = np.maximum(history.today[cell], seen)
    bath = ok & homes.bathroom_motion & (state.room == codes.BATHROOM)
    stay = now - state.room_since
    history.bath_today = np.fmax(history.bath_today, np.where(bath, stay, np.nan))
    midnight = day * DAY_S - history.offset_s
    risen = state.up_for_day(homes)
    up = ok & (risen >= midnight + WAKE_FROM_S) & np.isnan(history.wake_today)
    history.wake_today = np.where(up, risen - midnight, history.wake_today)
    gone = state.gone()
    if suppressed is not None:
        gone &= ~suppressed
    history.night_out_today |= gone & at_night(state.out_since, history.offset_s)
    late = evening_time(now, history.offset_s)
    # Out on their own, for a while: a carer or a visitor leaving (within ``VISIT_S`` of
    # coming in) is no outing of the elder's, though the home hears nobody until the elder
    # moves again; nor is a door and the first steps in minutes later.
    alone = state.left_alone()
    out = known & gone & alone & (now - state.out_since >= OUTING_S)
    history.out_late_today = np.fmax(history.out_late_today, np.where(out, late, np.nan))
    observe_daily(history.daily, state.day_count, ok, now, midnight)


def place_of(state: HouseholdState) -> npt.NDArray[np.intp]:
    """Per slot: where the running quiet began, ``IN_BEDROOM``, ``PASSING`` or
    ``ELSEWHERE``."""
    out: npt.NDArray[np.intp] = _PLACE_OF_ROOM[state.quiet_room()]
    return out


def start_bin(t: Floats, offset_s: float) -> npt.NDArray[np.intp]:
    """The local hour of each time in ``t`` (NaN: 0)."""
    return (np.fmax((t + offset_s) % DAY_S, 0.0) // BIN_S).astype(np.intp)


def _close_day(history: QuietHistory) -> None:
    if history.day >= 0:
        close_daily(history.daily, (history.day + 1) * DAY_S - history.offset_s)
        history.days.append(
            Day(
                history.weekend,
                history.today,
                # s of a day or of a stay: to the 1/100 s
                history.bath_today.astype(np.float32),
                history.wake_today.astype(np.float32),
                history.night_out_today,
                history.out_late_today.astype(np.float32),
            )
        )
        del history.days[:-HISTORY_DAYS]
    history.today = np.zeros((history.n, PLACES, BINS), dtype=np.uint8)
    history.bath_today = np.full(history.n, np.nan)
    history.wake_today = np.full(history.n, np.nan)
    history.night_out_today = np.zeros(history.n, dtype=bool)
    history.out_late_today = np.full(history.n, np.nan)


def _nth_largest(stack: AnyFloats, rank: int) -> tuple[Floats, npt.NDArray[np.intp]]:
    """Over axis 0 ignoring NaN: the ``rank``-th largest value (the smallest there is when
    fewer), and how many days had one."""
    count = np.sum(~np.isnan(stack), axis=0)
    if not len(stack):
        return np.full(stack.shape[1:], np.nan), count
    ordered = np.sort(stack, axis=0)  # NaN last
    pick = np.clip(count - rank, 0, None)
    value = np.take_along_axis(ordered, pick[np.newaxis], axis=0)[0]
    return np.where(count > 0, value, np.nan), count


def _nth_largest_code(stack: quiet_code.Codes, rank: int) -> tuple[quiet_code.Codes, Ints]:
    """``_nth_largest`` of codes over axis 0, 0 being none."""
    count = np.count_nonzero(stack, axis=0)
    if not len(stack):
        return np.zeros(stack.shape[1:], dtype=np.uint8), count
    ordered = np.sort(stack, axis=0)  # none first
    pick = len(stack) - np.clip(np.minimum(count, rank), 1, None)
    value: quiet_code.Codes = np.take_along_axis(ordered, pick[np.newaxis], axis=0)[0]
    return value, count


def build(history: QuietHistory, homes: Homes, profiles: Profiles) -> Baseline:
    """The baseline of every slot from the days ``history`` holds."""
    days = history.days
    n = history.n
    usual_code = np.zeros((n, PLACES, BINS), dtype=np.uint8)
    for lo in range(0, n, BUILD_CHUNK):
        part = slice(lo, min(lo + BUILD_CHUNK, n))
        usual_code[part] = _usual_quiet([d.quiet[part] for d in days], usual_code[part].shape)
    usual = quiet_code.decode(usual_code)
    floor = np.full(PLACES, MIN_LIMIT_S)
    floor[PASSING] = MIN_PASSING_LIMIT_S
    learned = np.clip(FACTOR * usual + MARGIN_S, floor[None, :, None], MAX_LIMIT_S)
    cold = cold_limits(profiles)
    enough = np.full(n, len(days) >= COLD_START_DAYS)
    limit = np.where(enough[:, None, None] & ~np.isnan(learned), learned, cold[:, None, :])
    limit = personal_limits(limit, profiles)
    bath_usual, _ = _nth_largest(_stack([d.bath for d in days], (n,)), QUIET_RANK)
    bath = np.maximum(BATH_FACTOR * np.nan_to_num(bath_usual) + BATH_MARGIN_S, BATH_MIN_S)
    # A home whose history has "stays" longer than any real one cannot see the bathroom's
    # end (a bedroom sensor that does not see the bed): the rule does not apply there.
    watched = profiles.alone | ~np.isnan(profiles.override_s)
    bath = np.where(homes.bathroom_motion & watched & (bath <= BATH_MAX_S), bath, np.inf)
    wake = _wake(days, n)
    back_limit, back_usual = back_limits(
        [d.out_late for d in days], profiles.frail, learned=len(days) >= COLD_START_DAYS
    )
    wake = np.where((enough & watched)[:, None], wake, np.nan)
    return Baseline(
        limit_s=limit.astype(np.float32),  # to the 1/100 s; half the memory
        usual_code=np.where(enough[:, None, None], usual_code, np.uint8(0)),
        bath_limit_s=bath,
        bath_usual_s=bath_usual,
        wake_limit_s=wake + WAKE_MARGIN_S,
        wake_usual_s=wake,
        wander_s=_wander(days, profiles),
        back_limit_s=back_limit,
        back_usual_s=back_usual,
        days=np.full(n, len(days), dtype=np.intp),
        daily=build_daily(history.daily),
    )


def _usual_quiet(quiets: list[quiet_code.Codes], shape: tuple[int, ...]) -> quiet_code.Codes:
    """[slot, place, hour] of the homes of ``quiets`` (their days): the usual longest
    quiet's code (0: too few days to tell). On the codes themselves: they grow with the
    length, so the longest and the second-longest are those of the seconds."""
    quiet = np.stack(quiets) if quiets else np.zeros((0, *shape), dtype=np.uint8)
    wide = quiet
    for shift in range(1, WIDEN_BINS + 1):
        either = np.maximum(np.roll(quiet, shift, axis=3), np.roll(quiet, -shift, axis=3))
        wide = np.maximum(wide, either)
    usual, count = _nth_largest_code(wide, QUIET_RANK)
    pooled, pooled_n = _nth_largest_code(np.maximum.reduce(wide, axis=2), QUIET_RANK)
    usual = np.where(count >= MIN_DAYS_PER_BIN, usual, pooled[:, None, :])
    out: quiet_code.Codes = np.where(pooled_n[:, None, :] >= MIN_DAYS_PER_BIN, usual, 0)
    return out.astype(np.uint8)


def _wander(days: list[Day], profiles: Profiles) -> Floats:
    """Out at night this long is wandering; never, for someone who often goes out at night
    — unless they have dementia: their nights out are the risk itself."""
    nights = np.sum([d.night_out for d in days], axis=0) if days else 0
    limit = np.where(profiles.dementia, WANDER_DEMENTIA_S, WANDER_S)
    usual = (nights >= USUAL_NIGHTS_OUT) & ~profiles.dementia
    return np.where(usual, np.inf, limit)


def _stack(arrays: Sequence[AnyFloats], shape: tuple[int, ...]) -> Floats:
    return np.stack(arrays) if arrays else np.empty((0, *shape))


def _wake(days: list[Day], n: int) -> Floats:
    """[slot, day_type]: the second-latest wake-up of the history, by day type when there
    are ``MIN_DAYS_PER_BIN`` such days, else of all days."""
    pooled, _ = _nth_largest(_stack([d.wake for d in days], (n,)), WAKE_RANK)
    out = np.empty((n, 2))
    for kind in (0, 1):
        mine, count = _nth_largest(
            _stack([d.wake for d in days if d.weekend == bool(kind)], (n,)), WAKE_RANK
        )
        out[:, kind] = np.where(count >= MIN_DAYS_PER_BIN, mine, pooled)
    return out
