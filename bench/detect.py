"""Detector sweep benchmark: every detector over N homes at once, as the gateway's sweep
runs it, with state that a day of events left behind.

    python -m bench.detect --homes 100000 --sweeps 200

Prints figures, asserts nothing; the last line is JSON
``{"homes", "sweep_ms_p50", "sweep_ms_p99", "rss_mib"}`` (docs/detection.md keeps the latest)
and, beside, the learned history's cost: ``history_days`` days of it held as the detection
process holds them, the baselines' rebuild from them (``build_s``) and the process's peak
RSS (``rss_peak_mib``, the rebuild's temporaries included).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time

import numpy as np

from bench._proc import rss_mib
from gateway import heap
from gateway.detectors import (
    DeviceInfo,
    EventBatch,
    Profiles,
    QuietHistory,
    apply,
    build,
    build_homes,
    new_state,
    observe,
    sweep,
)
from gateway.detectors.codes import KIND
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import DAY_S, utc_offset_s
from gateway.detectors.quiet_code import encode
from gateway.detectors.state import HouseholdState

KIT = (
    ("motion_sensor", "bedroom"),
    ("motion_sensor", "living_room"),
    ("motion_sensor", "kitchen"),
    ("motion_sensor", "bathroom"),
    ("door_sensor", "entrance"),
    ("bed_sensor", "bedroom"),
    ("power_meter", "kitchen"),
    ("water_meter", "kitchen"),
    ("env_sensor", "living_room"),
    ("sos_button", "bedroom"),
)
# Ids as the simulator makes them (``pir-977e3004b6``: 13–15 characters here), since the
# longest id sets the width every id is held in (``DeviceIds``).
PREFIX = ("pir", "pir", "pir", "pir", "door", "bed", "plug", "water", "env", "pat")
KINDS = ("motion", "motion", "motion", "motion", "door", "bed", "power", "water", "temperature")
START = 1_783_267_200.0  # 2026-07-06 00:00 Asia/Shanghai


def _fleet(homes: int) -> list[DeviceInfo]:
    return [
        DeviceInfo(f"{PREFIX[k]}-{h * len(KIT) + k:010x}", f"E{h}", kind, room, 7200)
        for h in range(homes)
        for k, (kind, room) in enumerate(KIT)
    ]


def _day_of_events(
    n_devices: int, rng: np.random.Generator, per_device: int, start: float
) -> EventBatch:
    """``per_device`` events for every sensor within an hour from ``start``, in time order."""
    sensors = np.flatnonzero(np.arange(n_devices) % len(KIT) < len(KINDS))
    device = np.repeat(sensors, per_device)
    t = np.sort(rng.uniform(start, start + 3600.0, len(device)))
    rng.shuffle(device)
    codes = np.array([KIND[k] for k in KINDS])[device % len(KIT)]
    value = np.where(codes == KIND["temperature"], rng.uniform(20, 38, len(device)), 1.0)
    return EventBatch(device, codes, value, t, t, np.zeros(len(device), dtype=bool))


def _history(
    homes: Homes, state: HouseholdState, offset: float, days: int, rng: np.random.Generator
) -> QuietHistory:
    """``days`` local days of learned history, each closed by the detectors' own ``observe``
    (so it is held in the form the detection process holds it): every quiet cell filled."""
    history = QuietHistory(offset, homes.n)
    everyone = np.ones(homes.n, dtype=bool)
    for day in range(days):
        now = START - (days - day) * DAY_S + 60.0
        observe(history, homes, state, now, everyone)  # opens the day
        history.today[...] = encode(rng.uniform(60.0, 14_400.0, history.today.shape))
        history.bath_today[:] = rng.uniform(120.0, 1_800.0, homes.n)
        history.wake_today[:] = rng.uniform(5.5, 9.0, homes.n) * 3600.0
    observe(history, homes, state, START + 60.0, everyone)  # closes the last
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--homes", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=200)
    parser.add_argument("--events-per-device", type=int, default=20)
    parser.add_argument("--history-days", type=int, default=28)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    homes = build_homes((f"E{h}" for h in range(args.homes)), _fleet(args.homes))
    profiles = Profiles(
        frail=rng.random(args.homes) < 0.3,
        alone=rng.random(args.homes) < 0.6,
        override_s=np.full(args.homes, np.nan),
        watch=np.zeros(args.homes, dtype=bool),
        dementia=rng.random(args.homes) < 0.08,
    )
    state = new_state(homes)
    offset = utc_offset_s("Asia/Shanghai")
    folded = 0
    for part in range(args.events_per_device):  # a day's events, an hour's worth at a time
        batch = _day_of_events(len(homes.device_ids), rng, 1, START + 3600.0 * part % 86_400)
        apply(homes, state, batch)
        folded += len(batch)
    del batch
    gc.collect()
    print(f"{args.homes} homes, {len(homes.device_ids)} devices, {folded} events folded in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    rss_state = rss_mib()
    history = _history(homes, state, offset, args.history_days, rng)
    rss_history = rss_mib()
    t = time.perf_counter()
    baseline = build(history, homes, profiles)
    build_s = time.perf_counter() - t
    heap.release()  # as the detection process does after each rebuild (``detect_watch.rebuilt``)
    gc.collect()
    print(f"state {rss_state:.0f} MiB; with {len(history.days)} days of history "
          f"{rss_history:.0f} MiB; baselines rebuilt in {build_s:.1f} s")  # fmt: skip
    times = []
    now = START + 86_400.0
    for i in range(args.sweeps):
        t = time.perf_counter()
        found = sweep(homes, state, baseline, now + 5.0 * i, offset)
        times.append(1000 * (time.perf_counter() - t))
    p50, p99 = np.percentile(times, [50, 99])
    print(f"sweep: p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(found)} findings in the last")
    print(json.dumps({
        "homes": args.homes,
        "sweep_ms_p50": round(float(p50), 2),
        "sweep_ms_p99": round(float(p99), 2),
        "rss_mib": round(rss_mib(), 1),
        "rss_state_mib": round(rss_state, 1),
        "history_days": len(history.days),
        "build_s": round(build_s, 2),
        "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
