"""The event stream of a whole world, one plan day (03:00 → 03:00) at a time, in time order.

The same (world, seed, start, end, incidents) always yields the same rows: file output,
live publishing and the plot all read this one stream.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from simulators import codes, expand, incidents
from simulators.absences import declared
from simulators.clock import DAY, day_start, iso
from simulators.day_plan import DayPlan, HomeState
from simulators.device_faults import Fault
from simulators.incidents import Forced
from simulators.prompts import Prompter
from simulators.routine import plan_day
from simulators.weather import Weather
from simulators.world import BATTERY_RECHARGED, World

F64 = npt.NDArray[np.float64]
STATUS_DELAY_S = 90.0  # the broker sends a dead device's Will after 1.5 keep-alives


@dataclass(slots=True)
class Chunk:
    """Messages in publish order. ``aux`` ≥ 0 points into ``side`` (raw payloads)."""

    start: float
    end: float
    t: F64
    dev: npt.NDArray[np.int32]
    code: npt.NDArray[np.int16]
    value: F64
    shift: F64
    battery: npt.NDArray[np.int8]
    aux: npt.NDArray[np.int32]
    side: list[str] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    plans: list[DayPlan] = field(default_factory=list)
    busy: dict[int, list[tuple[float, float]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


# A wearable is charged overnight: off the charger at 07:00 local, it drains by day and is
# back on it at 21:00, full again by the morning (never low: its ``battery_low`` is a
# drain fault's, like any other device's).
BAND_OFF_CHARGER_H: Final = 7.0
BAND_WORN_H: Final = 14.0
BAND_DRAIN_PER_H: Final = 3.6


def band_level(t: F64) -> F64:
    """A wearable's battery % at local (UTC+8) times ``t``."""
    since = ((t + 8 * 3600) % DAY / 3600.0 - BAND_OFF_CHARGER_H) % 24
    evening = 100.0 - BAND_DRAIN_PER_H * BAND_WORN_H
    charging = (since - BAND_WORN_H) / (24 - BAND_WORN_H)
    out: F64 = np.where(
        since <= BAND_WORN_H,
        100.0 - BAND_DRAIN_PER_H * since,
        evening + (100.0 - evening) * charging,
    )
    return out


class Generator:
    def __init__(
        self,
        world: World,
        start: float,
        end: float,
        *,
        incident_rate: float = 1.0,
        forced: list[Forced] | None = None,
        keep_plans: bool = False,
        keep_busy: bool = False,
        prompter: Prompter | None = None,
    ) -> None:
        self.world = world
        self.start, self.end = start, end
        self.rate = incident_rate
        self.forced = forced or []
        self.keep_plans = keep_plans
        self.keep_busy = keep_busy
        # A file run's check-in prompts (the gateway's part, ``prompts.py``); live, the
        # gateway sends them.
        self.prompter = prompter
        self.origin = world.start.timestamp()
        self.states = [HomeState() for _ in world.homes]
        self.faults: list[Fault] = []
        self.dead: dict[int, tuple[float, float]] = {}  # device → (battery empty, replaced)
        self.reset: dict[int, float] = {}  # device → when its battery was replaced
        self.weather = Weather(random.Random(f"tanfang-weather:{world.seed}"))
        # Elder id → the absences declared so far (homes.json's ``"absences"``).
        self.absences: dict[str, list[dict[str, Any]]] = {}
        # Truth known today that begins on a later day (a draining battery's "low" and
        # "empty"): written out with the day it begins in.
        self.later: list[dict[str, Any]] = []

    def chunks(self) -> Iterator[Chunk]:
        day = day_start(self.start)
        first = True
        while day < self.end:
            chunk = self.day(day)
            if first:
                chunk = self._with_online(chunk)
                first = False
            yield chunk
            day += DAY

    def day(self, start: float) -> Chunk:
        world, seed = self.world, self.world.seed
        index = round((start - day_start(self.origin)) / DAY)
        anomaly = self.weather.next_day(start)
        plans = []
        for home in world.homes:
            rng = random.Random(f"tanfang-day:{seed}:{home.index}:{index}")
            plan = plan_day(home, start, self.states[home.index], rng)
            forced = [f for f in self.forced if f.home == home.index and start <= f.at < plan.end]
            incidents.apply(plan, home, self.states[home.index], rng, self.rate, forced)
            if told := declared(plan, seed):
                self.absences.setdefault(home.elder_id, []).extend(told)
            plans.append(plan)
        prompter = self.prompter
        prompted = prompter.play(world, plans, anomaly, self.absences) if prompter else []
        rng_np = np.random.default_rng([seed, index, 7])
        cols = expand.Columns()
        expand.motion(plans, rng_np, cols)
        expand.actions(plans, rng_np, cols)
        expand.environment(world, plans, anomaly, rng_np, cols)
        expand.heart_rate(world, plans, rng_np, cols)
        truth = self.later + [record for plan in plans for record in plan.truth] + prompted
        for plan in plans:
            elder = world.homes[plan.home].elder_id
            truth += [
                {
                    "elder_id": elder,
                    "type": "away",
                    "start": iso(a),
                    "end": iso(b),
                    "note": "out of the home",
                }
                for a, b in plan.away()
            ]
        for plan in plans:
            for fault in plan.faults:
                self._add_fault(fault, truth)
        side: list[str] = []
        self._stuck_and_raw(start, start + DAY, cols, side)
        t, dev, code, value = cols.arrays()
        expand.heartbeats(t, dev, world.heartbeat_s, start, start + DAY, cols)
        t, dev, code, value = cols.arrays()
        del cols
        aux = np.full(t.size, -1, dtype=np.int32)
        aux[code == codes.RAW] = np.arange(int((code == codes.RAW).sum()), dtype=np.int32)
        t, dev, code, value, aux = self._offline(start, start + DAY, t, dev, code, value, aux)
        lo, hi = max(start, self.start), min(start + DAY, self.end)
        hi_iso = iso(hi)
        self.later = [record for record in truth if record["start"] >= hi_iso]
        t = np.round(t, 3)
        keep = (t >= lo) & (t < hi)
        order = np.argsort(t[keep], kind="stable")
        t, dev, code = t[keep][order], dev[keep][order], code[keep][order]
        value, aux = value[keep][order], aux[keep][order]
        return Chunk(
            start=lo,
            end=hi,
            t=t,
            dev=dev,
            code=code,
            value=value,
            shift=self._shift(t, dev),
            battery=self.battery(t, dev),
            aux=aux,
            side=side,
            truth=self._named_truth(truth, lo, hi),
            plans=plans if self.keep_plans else [],
            busy={plan.home: plan.busy() for plan in plans} if self.keep_busy else {},
        )

    def battery(self, t: F64, dev: npt.NDArray[np.int32]) -> npt.NDArray[np.int8]:
        """Battery % of each row's device at its time; -1 for mains-powered devices."""
        w = self.world
        kind = w.battery_kind[dev]
        days = (t - self.origin) / DAY
        level = w.battery_start[dev] - w.battery_per_day[dev] * days
        level = np.where(kind == BATTERY_RECHARGED, band_level(t), level)
        for device, since in self.reset.items():
            rows = (dev == device) & (t >= since)
            level[rows] = 100.0 - w.battery_per_day[device] * (t[rows] - since) / DAY
        for fault in self.faults:
            if fault.kind == "drain":
                rows = (dev == fault.device) & (t >= fault.start) & (t < fault.end)
                level[rows] = fault.param - (t[rows] - fault.start) / DAY * fault.rate
        level = np.clip(np.round(level), 0, 100).astype(np.int8)
        return np.where(kind > 0, level, -1).astype(np.int8)

    def _add_fault(self, fault: Fault, truth: list[dict[str, Any]]) -> None:
        if fault.kind == "drain":
            level = float(
                self.battery(np.array([fault.start]), np.array([fault.device], np.int32))[0]
            )
            rate = fault.rate
            empty = fault.start + max(level, 1.0) / rate * DAY
            replaced = empty + random.Random(fault.start).uniform(1.0, 2.0) * DAY
            fault.param, fault.end = level, replaced
            self.dead[fault.device] = (empty, replaced)
            self.reset[fault.device] = replaced
            home = self.world.homes[self.world.devices[fault.device].home]
            ids = [self.world.devices[fault.device].id]
            low = fault.start + max(level - 20.0, 0.0) / rate * DAY
            truth.append(
                {
                    "elder_id": home.elder_id,
                    "type": "battery_low",
                    "start": iso(low),
                    "end": iso(replaced),
                    "device_ids": ids,
                    "note": "battery under 20 %",
                }
            )
            truth.append(
                {
                    "elder_id": home.elder_id,
                    "type": "device_offline",
                    "start": iso(empty),
                    "end": iso(replaced),
                    "device_ids": ids,
                    "note": "battery empty",
                }
            )
        self.faults.append(fault)

    def _stuck_and_raw(
        self, start: float, end: float, cols: expand.Columns, side: list[str]
    ) -> None:
        for fault in self.faults:
            if fault.kind == "stuck" and fault.start < end and fault.end > start:
                t = np.arange(max(fault.start, start), min(fault.end, end), fault.param)
                cols.add(t, fault.device, codes.MOTION, 1.0)
            elif fault.kind == "malformed":
                for when, raw in fault.raw:
                    if start <= when < end:
                        cols.add(np.array([when]), fault.device, codes.RAW, np.nan)
                        side.append(raw)

    def _offline(self, start: float, end: float, *cols: Any) -> tuple[Any, ...]:
        """Silence devices while they are offline, and say so on their status topic."""
        t, dev, code, value, aux = cols
        windows = [(f.device, f.start, f.end) for f in self.faults if f.kind == "offline"]
        windows += [(d, a, b) for d, (a, b) in self.dead.items()]
        extra_t, extra_dev, extra_code = [], [], []
        for device, a, b in windows:
            if a >= end or b <= start:
                continue
            silent = (dev == device) & (t >= a) & (t < b)
            t, dev, code, value, aux = (c[~silent] for c in (t, dev, code, value, aux))
            for when, status in ((a + STATUS_DELAY_S, codes.OFFLINE), (b, codes.ONLINE)):
                if start <= when < end:
                    extra_t.append(when)
                    extra_dev.append(device)
                    extra_code.append(status)
        if extra_t:
            t = np.concatenate((t, extra_t))
            dev = np.concatenate((dev, np.array(extra_dev, np.int32)))
            code = np.concatenate((code, np.array(extra_code, np.int16)))
            value = np.concatenate((value, np.full(len(extra_t), np.nan)))
            aux = np.concatenate((aux, np.full(len(extra_t), -1, np.int32)))
        return t, dev, code, value, aux

    def _shift(self, t: F64, dev: npt.NDArray[np.int32]) -> F64:
        shift = np.zeros(t.size)
        for fault in self.faults:
            if fault.kind == "skew":
                shift[(dev == fault.device) & (t >= fault.start) & (t < fault.end)] = fault.param
        return shift

    def _named_truth(
        self, truth: list[dict[str, Any]], lo: float, hi: float
    ) -> list[dict[str, Any]]:
        names = self.world.devices
        out = []
        lo_iso, hi_iso = iso(lo), iso(hi)
        for record in truth:
            if record["start"] >= hi_iso or record.get("end", record["start"]) < lo_iso:
                continue
            devices = record.pop("_devices", None)
            if devices is not None:
                record["device_ids"] = [names[d].id for d in devices]
            out.append(record)
        return sorted(out, key=lambda r: (r["start"], r["elder_id"], r["type"]))

    def _with_online(self, chunk: Chunk) -> Chunk:
        """Every device announces itself (retained ``online``) when the run begins."""
        n = len(self.world.devices)
        head = online_rows(self.start, n)
        return concat(head, chunk)


def online_rows(t: float, n: int, code: int = codes.ONLINE) -> Chunk:
    return Chunk(
        start=t,
        end=t,
        t=np.full(n, round(t, 3)),
        dev=np.arange(n, dtype=np.int32),
        code=np.full(n, code, np.int16),
        value=np.full(n, np.nan),
        shift=np.zeros(n),
        battery=np.full(n, -1, np.int8),
        aux=np.full(n, -1, np.int32),
    )


def concat(a: Chunk, b: Chunk) -> Chunk:
    offset = len(a.side)
    return Chunk(
        start=min(a.start, b.start),
        end=max(a.end, b.end),
        t=np.concatenate((a.t, b.t)),
        dev=np.concatenate((a.dev, b.dev)),
        code=np.concatenate((a.code, b.code)),
        value=np.concatenate((a.value, b.value)),
        shift=np.concatenate((a.shift, b.shift)),
        battery=np.concatenate((a.battery, b.battery)),
        aux=np.concatenate((a.aux, np.where(b.aux >= 0, b.aux + offset, -1).astype(np.int32))),
        side=a.side + b.side,
        truth=a.truth + b.truth,
        plans=a.plans + b.plans,
    )
