"""Simulator benchmark: file generation speed, and a live run's CPU and memory.

    python -m bench.simulators file --households 1000 --days 30
    python -m bench.simulators live --households 10000 --seconds 120 [--mqtt-url URL]

Prints figures, asserts nothing (docs/simulators.md keeps the latest).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import threading
import time
from datetime import datetime

from bench._proc import rss_mib
from simulators.clock import TZ
from simulators.files import write_stream
from simulators.generator import Generator
from simulators.live import RunStats, run_live
from simulators.world import build_world

START = datetime(2026, 7, 6, tzinfo=TZ)


def bench_file(households: int, days: float, out: str) -> None:
    t0 = time.perf_counter()
    world = build_world(households, 1, START)
    begin = START.timestamp()
    gen = Generator(world, begin, begin + days * 86400)
    with open(out, "w", encoding="utf-8") as events:
        stats = write_stream(world, gen, events, None)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"file: {households} homes × {days:g} days: {stats.messages:,} messages "
        f"({stats.events:,} events, {stats.incidents:,} truth lines) in {elapsed:.1f} s "
        f"= {stats.messages / elapsed:,.0f} messages/s; peak RSS {peak:.0f} MiB; "
        f"{os.path.getsize(out) / 2**20:,.0f} MiB written"
    )


def bench_live(households: int, seconds: float, speed: float, url: str | None) -> None:
    broker = None
    if url is None:
        from tests.rig.mosquitto import start_mosquitto

        broker = start_mosquitto()
        url = broker.url
    try:
        world = build_world(households, 1, START)
        stop = threading.Event()
        result: list[RunStats] = []
        runner = threading.Thread(
            target=lambda: result.append(
                run_live(
                    world,
                    mqtt_url=url,
                    topic_root="bench/v1",
                    speed=speed,
                    stop=stop,
                    duration_s=seconds,
                )
            )
        )
        wall0, cpu0 = time.monotonic(), time.process_time()
        runner.start()
        samples: list[float] = []
        last_wall, last_cpu = wall0, cpu0
        while runner.is_alive():
            runner.join(timeout=10)
            now, cpu = time.monotonic(), time.process_time()
            samples.append(100 * (cpu - last_cpu) / (now - last_wall))
            last_wall, last_cpu = now, cpu
        stats = result[0]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        steady = statistics.median(samples[2:]) if len(samples) > 3 else float("nan")
        print(
            f"live: {households} homes, {len(world.devices):,} devices at speed {speed:g} for "
            f"{stats.wall_s:.0f} s over {stats.connections} connections: "
            f"{stats.published:,} messages = {stats.published / stats.wall_s:,.1f}/s; "
            f"CPU {100 * (last_cpu - cpu0) / (last_wall - wall0):.1f} % of one core overall, "
            f"{steady:.1f} % steady (median of 10 s windows after the first 20 s); "
            f"RSS {rss_mib():.0f} MiB (peak {peak:.0f}); "
            f"max lag {stats.max_lag_s:.2f} s"
        )
    finally:
        if broker is not None:
            broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("file", "live"))
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--mqtt-url", default=os.environ.get("TANFANG_TEST_MQTT_URL"))
    parser.add_argument("--out", default="/tmp/tanfang-bench-events.jsonl")
    args = parser.parse_args()
    if args.mode == "file":
        bench_file(args.households or 1000, args.days, args.out)
    else:
        bench_live(args.households or 10_000, args.seconds, args.speed, args.mqtt_url)


if __name__ == "__main__":
    main()
