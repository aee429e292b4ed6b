"""Detector sweep benchmark: every detector over N homes at once, as the gateway's sweep
runs it, with state that a day of events left behind.

    python -m bench.detect --homes 100000 --sweeps 200

Prints figures, asserts nothing; the last line is JSON
``{"homes", "sweep_ms_p50", "sweep_ms_p99", "rss_mib"}`` (docs/detection.md keeps the latest).
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np

from bench._proc import rss_mib
from gateway.detectors import (
    DeviceInfo,
    EventBatch,
    Profiles,
    QuietHistory,
    apply,
    build,
    build_homes,
    new_state,
    sweep,
)
from gateway.detectors.codes import KIND
from gateway.detectors.localtime import utc_offset_s

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
KINDS = ("motion", "motion", "motion", "motion", "door", "bed", "power", "water", "temperature")
START = 1_783_267_200.0  # 2026-07-06 00:00 Asia/Shanghai


def _fleet(homes: int) -> list[DeviceInfo]:
    return [
        DeviceInfo(f"d{h}-{k}", f"E{h}", kind, room, 7200)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--homes", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=200)
    parser.add_argument("--events-per-device", type=int, default=20)
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
    baseline = build(QuietHistory(offset, homes.n), homes, profiles)
    print(f"{args.homes} homes, {len(homes.device_ids)} devices, {folded} events folded in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
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
    }))  # fmt: skip


if __name__ == "__main__":
    main()
