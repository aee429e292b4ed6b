"""Plans → event columns, in bulk with numpy: PIR firings, environment readings, heart
rate, heartbeats, and the imperfections of cheap sensors (misses, double fires, jitter)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from simulators import codes
from simulators.day_plan import DayPlan
from simulators.track import WALK_IN_RATE
from simulators.weather import indoor
from simulators.world import World

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

PIR_BLIND_S: Final = 30.0  # a PIR re-arms this long after it fired
PIR_MISS: Final = 0.04  # share of firings lost (radio, sensor)
PIR_DOUBLE: Final = 0.015  # share of firings sent twice
JITTER_S: Final = 1.2  # sd of the device clock against the truth, for actions
ENV_PERIOD_S: Final = 1200.0
HR_PERIOD_S: Final = 600.0


@dataclass(slots=True)
class Columns:
    """Rows of messages, unsorted while being built."""

    t: list[F64] = field(default_factory=list)
    dev: list[I32] = field(default_factory=list)
    code: list[npt.NDArray[np.int16]] = field(default_factory=list)
    value: list[F64] = field(default_factory=list)

    def add(self, t: F64, dev: npt.ArrayLike, code: npt.ArrayLike, value: npt.ArrayLike) -> None:
        n = len(t)
        self.t.append(np.asarray(t, dtype=np.float64))
        self.dev.append(np.broadcast_to(np.asarray(dev, dtype=np.int32), n).copy())
        self.code.append(np.broadcast_to(np.asarray(code, dtype=np.int16), n).copy())
        self.value.append(np.broadcast_to(np.asarray(value, dtype=np.float64), n).copy())

    def arrays(self) -> tuple[F64, I32, npt.NDArray[np.int16], F64]:
        if not self.t:
            empty = np.empty(0)
            return empty, empty.astype(np.int32), empty.astype(np.int16), empty
        return (
            np.concatenate(self.t),
            np.concatenate(self.dev),
            np.concatenate(self.code),
            np.concatenate(self.value),
        )


def motion(plans: list[DayPlan], rng: np.random.Generator, out: Columns) -> None:
    """PIR firings of every room stay: a renewal process (blind time + exponential wait)."""
    segs = [s for plan in plans for s in plan.segs()]
    if not segs:
        return
    arr = np.array(segs, dtype=np.float64)
    s0, s1, dev, rate = arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int32), arr[:, 3]
    mean_wait = 60.0 / np.maximum(rate, 1e-6)
    expected = (s1 - s0) / (PIR_BLIND_S + mean_wait)
    draws = np.ceil(expected * 1.5 + 4).astype(np.int64)
    first = np.concatenate(([0], np.cumsum(draws)[:-1]))
    rep = np.repeat(np.arange(len(segs)), draws)
    gaps = PIR_BLIND_S + rng.exponential(1.0, rep.size) * mean_wait[rep]
    # Walking into a room is seen at once (``Track.go`` adds it for quiet stays); a
    # sleeper's first turn is not.
    entering = rate >= WALK_IN_RATE
    gaps[first] = np.where(entering, rng.uniform(0.5, 8.0, len(segs)), gaps[first])
    total = np.cumsum(gaps)
    base = total[first] - gaps[first]
    times = s0[rep] + total - base[rep]
    keep = (times < s1[rep]) & (rng.random(rep.size) >= PIR_MISS)
    times, devs = times[keep], dev[rep][keep]
    double = rng.random(times.size) < PIR_DOUBLE
    times = np.concatenate((times, times[double] + rng.uniform(0.3, 1.5, int(double.sum()))))
    devs = np.concatenate((devs, devs[double]))
    out.add(times, devs, codes.MOTION, 1.0)


def actions(plans: list[DayPlan], rng: np.random.Generator, out: Columns) -> None:
    points = [p for plan in plans for p in plan.points()]
    if not points:
        return
    arr = np.array(points, dtype=np.float64)
    jitter = np.clip(rng.normal(0.0, JITTER_S, len(points)), -3.0, 3.0)
    out.add(arr[:, 0] + jitter, arr[:, 1], arr[:, 2], arr[:, 3])


def environment(
    world: World, plans: list[DayPlan], anomaly: float, rng: np.random.Generator, out: Columns
) -> None:
    """Temperature and humidity every 20 minutes from every environment sensor."""
    homes = [
        (plan, world.homes[plan.home]) for plan in plans if "env" in world.homes[plan.home].roles
    ]
    if not homes:
        return
    start, end = plans[0].start, plans[0].end
    slots = np.arange(start, end, ENV_PERIOD_S)
    devs = np.array([home.roles["env"] for _, home in homes], dtype=np.int32)
    phase = (devs * 0.6180339887 % 1.0) * ENV_PERIOD_S
    t = (phase[:, None] + slots[None, :]).ravel() + rng.uniform(-20, 20, devs.size * slots.size)
    dev = np.repeat(devs, slots.size)
    offset = np.repeat(np.array([home.indoor_offset_c for _, home in homes]), slots.size)
    temp, humid = indoor(t, start, anomaly, offset, rng.normal(0.0, 1.0, t.size))
    for row, (plan, _) in enumerate(homes):
        if plan.heat is not None:
            _heat(t, temp, humid, slice(row * slots.size, (row + 1) * slots.size), plan.heat)
    out.add(t, dev, codes.TEMPERATURE, temp)
    out.add(t + 0.05, dev, codes.HUMIDITY, humid)


def _heat(t: F64, temp: F64, humid: F64, rows: slice, heat: tuple[float, float, float]) -> None:
    """Indoor heat: ramps up for an hour, stays at 35 °C or more in the window, then eases."""
    a, b, peak = heat
    x = t[rows]
    inside = (x >= a) & (x < b)
    shape = np.sin(np.clip((x - a) / (b - a), 0, 1) * math.pi)
    hot = np.where(inside, 35.0 + (peak - 35.0) * shape, 0.0)
    ramp = np.where((x < a) & (x > a - 3600), 35.0 - 2.5 * (a - x) / 3600, 0.0)
    ramp += np.where((x >= b) & (x < b + 3600), 34.9 - 2.5 * (x - b) / 3600, 0.0)
    temp[rows] = np.round(np.maximum(temp[rows], np.maximum(hot, ramp)), 1)
    humid[rows] = np.where(inside, np.minimum(humid[rows], 60.0), humid[rows])


def heart_rate(world: World, plans: list[DayPlan], rng: np.random.Generator, out: Columns) -> None:
    for plan in plans:
        if plan.wear is None:
            continue
        device = world.homes[plan.home].roles["wear"]
        t = np.arange(plan.wear[0], plan.wear[1], HR_PERIOD_S) + rng.uniform(0, 30)
        still = [(a, b) for a, b, room in plan.me.where if room == "still"]
        for a, b in still:  # a wearable that lies still with its wearer keeps measuring
            t = t[(t < a) | (t >= b)] if b - a > 0 else t
        bpm = rng.normal(74.0, 6.0, t.size)
        side = np.random.default_rng([world.seed, device, round(plan.start)])
        bpm = _wrist(t, bpm, device, side)
        inside = np.zeros(t.size, dtype=bool)
        if plan.vitals is not None:  # out of range, sustained: every reading of the window
            a, b, level = plan.vitals
            inside = (t >= a) & (t < b)
            wild = level + rng.normal(0.0, 3.0, int(inside.sum()))
            bpm[inside] = np.maximum(wild, 131.0) if level > 100 else np.minimum(wild, 39.0)
        t, bpm = _off_wrist(t, bpm, inside, side)
        out.add(t, device, codes.HEART_RATE, np.round(bpm))


# A wearer's resting rate lies in 55–90 bpm (by device, fixed); the day adds a rhythm
# (lowest before dawn, highest in the afternoon). Once in a few days a single reading
# spikes past 130 (stairs, a hurried walk, the band slipping): one reading, never two. On a
# third of days the band is off for 30–90 min (a shower, charging): no readings at all.
HR_REST: Final = (55.0, 90.0)
HR_RHYTHM_BPM: Final = 5.0
HR_SPIKE_P: Final = 0.3
HR_OFF_P: Final = 0.35


def _wrist(t: F64, bpm: F64, device: int, side: np.random.Generator) -> F64:
    """The day's readings around this wearer's resting rate, with the daily rhythm and the
    odd spike (``bpm``: the shared stream's noise around 74, kept so that the rest of the
    day's draws do not move)."""
    rest = HR_REST[0] + (HR_REST[1] - HR_REST[0]) * ((device * 0.618034) % 1.0)
    hour = (t / 3600.0 + 8.0) % 24.0
    rhythm = HR_RHYTHM_BPM * np.sin((hour - 10.0) / 24.0 * 2.0 * math.pi)
    out = rest + 0.6 * (bpm - 74.0) + rhythm
    if t.size > 2 and side.random() < HR_SPIKE_P:
        k = int(side.integers(1, t.size - 1))
        out[k] = side.uniform(131.0, 150.0)
    return out


def _off_wrist(
    t: F64, bpm: F64, keep: npt.NDArray[np.bool_], side: np.random.Generator
) -> tuple[F64, F64]:
    """The band off for a while on some days (never during an out-of-range episode)."""
    if t.size < 2 or side.random() >= HR_OFF_P:
        return t, bpm
    start = side.uniform(t[0], t[-1])
    off = (t >= start) & (t < start + side.uniform(30.0, 90.0) * 60.0) & ~keep
    return t[~off], bpm[~off]


def heartbeats(t: F64, dev: I32, interval: F64, start: float, end: float, out: Columns) -> None:  # noqa: PLR0917
    """A heartbeat at the end of every interval-long slot in which a device sent nothing."""
    n_devices = interval.size
    phase = (np.arange(n_devices) * 0.7548776662 % 1.0) * interval
    first = np.floor((start - phase) / interval).astype(np.int64)
    slots = math.ceil((end - start) / float(interval.min())) + 1
    k = first[:, None] + np.arange(slots)[None, :]
    when = phase[:, None] + (k + 1) * interval[:, None]
    devs = np.broadcast_to(np.arange(n_devices)[:, None], when.shape)
    mask = (when >= start) & (when < end)
    when, devs, k = when[mask], devs[mask], k[mask]
    busy_slot = np.floor((t - phase[dev]) / interval[dev]).astype(np.int64)
    busy = np.unique(dev.astype(np.int64) * 1_000_000_000 + busy_slot)
    idle = ~np.isin(devs.astype(np.int64) * 1_000_000_000 + k, busy)
    out.add(when[idle], devs[idle], codes.HEARTBEAT, np.nan)
