"""Scale benchmark: three gateways on gateway slots against one, for a town of 100 000
simulated homes at speed, on this machine's own Mosquitto and PostgreSQL (docs/scaling.md).

    python bench/scale.py [--homes 100000] [--speed 10] [--seconds 20] [--burst 60000]

1. Homes: messages and events a home sends a day, by device kit, from the simulators
   (``--sim-homes`` homes for ``--sim-days`` days).
2. A private Mosquitto and PostgreSQL; the fleet registered: ``--homes`` elders with four
   devices each (the bench's fleet; a real kit has 9–13 devices, the rate is what counts).
3. For one gateway (fixed client id), then for three (``TANFANG_GATEWAY_SLOTS`` = 3 on one
   shared group): a paced phase at homes × events a home a day × speed ÷ 86 400 events/s —
   lag publish → commit (p50, p99) and CPU per process — then a burst queued while the
   gateways are stopped and drained by them on start: events/s and CPU µs/event.
4. Nothing lost, nothing stored twice; the size of the events table and its indexes per
   stored event.

Prints a table and, last, one JSON line. Runs in about 4 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import _db
from bench._figures import percentile
from bench._gateway import Gateway, cpu_seconds, start_gateway
from bench._homes import per_kit
from bench._mqtt import RawPublisher
from bench._services import start_services
from bench._workload import DEVICE_PREFIX, DEVICES_PER_ELDER, Workload

ROOT = "tanfang/scale"
GATEWAYS = 3
READY_S = 120.0  # start-up with a large registry on a busy machine


class BenchError(RuntimeError):
    pass


@dataclass
class Rig:
    mqtt_url: str
    database_url: str
    workdir: Path
    broker_pid: int
    postmaster_pid: int

    def settings(self, client_id: str, slots: int) -> dict[str, str]:
        settings = {
            "TANFANG_MQTT_URL": self.mqtt_url,
            "TANFANG_DATABASE_URL": self.database_url,
            "TANFANG_TOPIC_ROOT": ROOT,
            "TANFANG_MQTT_CLIENT_ID": client_id,
            "TANFANG_ADMIN_TOKEN": "scale-bench-token-not-secret",
        }
        if slots:
            settings |= {"TANFANG_SHARED_GROUP": client_id, "TANFANG_GATEWAY_SLOTS": str(slots)}
        return settings

    def start(self, client_id: str, slots: int, count: int) -> list[Gateway]:
        return [
            start_gateway(
                [sys.executable, "-m", "tanfang", "gateway"],
                self.settings(client_id, slots),
                self.workdir / f"{client_id}-{i}.log",
            )
            for i in range(count)
        ]


@contextmanager
def rig(homes: int) -> Iterator[Rig]:
    with ExitStack() as stack:
        services = start_services(stack, "scale", homes * DEVICES_PER_ELDER)
        yield Rig(
            services.mqtt_url,
            services.database_url,
            services.workdir,
            services.broker_pid,
            services.postmaster_pid,
        )


def _scalar(conn: _db.Conn, query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _rows(conn: _db.Conn, seq: int) -> int:
    """Rows of one phase: every device sends at most one event in it, all with ``seq``."""
    return int(
        _scalar(
            conn,
            "SELECT count(*) FROM events WHERE device_id LIKE %s AND seq = %s",
            (DEVICE_PREFIX + "%", seq),
        )
    )


def _wait(
    conn: _db.Conn, gateways: list[Gateway], ok: Callable[[], bool], deadline_s: float, what: str
) -> None:
    end = time.monotonic() + deadline_s
    while not ok():
        dead = [g for g in gateways if not g.alive()]
        if dead or time.monotonic() > end:
            tail = dead[0].log_tail() if dead else gateways[0].log_tail()
            raise BenchError(f"{what}: not within {deadline_s:.0f} s; a gateway's log:\n{tail}")
        time.sleep(0.1)  # polling interval; the deadline bounds the wait


def _ready(conn: _db.Conn, gateways: list[Gateway], client_id: str) -> None:
    """Every gateway connected and subscribed: its heartbeat says it is ingesting."""
    query = (
        "SELECT count(*) FROM gateway_heartbeats WHERE client_id LIKE %s AND ingesting"
        " AND seen_at > now() - interval '30 seconds'"
    )
    _wait(
        conn,
        gateways,
        lambda: int(_scalar(conn, query, (client_id + "%",))) >= len(gateways),
        READY_S,
        f"{len(gateways)} gateways ingesting",
    )


def _cpu(pids: list[int]) -> list[float]:
    return [cpu_seconds(pid, tree=True) for pid in pids]


@dataclass
class Phase:
    """One deployment's figures: paced lag and CPU, burst drain rate and CPU."""

    gateways: int
    rate: float = 0.0
    paced_events: int = 0
    lag_p50_ms: float | None = None
    lag_p99_ms: float | None = None
    lag_max_ms: float | None = None
    paced_cpu_pct: dict[str, float] | None = None  # % of one core, per process kind
    drain_eps: float = 0.0
    drain_cpu_us: dict[str, float] | None = None  # CPU µs per event, per process kind


def measure(rig: Rig, conn: _db.Conn, count: int, args: argparse.Namespace, seq: int) -> Phase:
    phase = Phase(count)
    client_id = f"scale-{count}"
    slots = GATEWAYS if count > 1 else 0
    workload = Workload(ROOT, args.homes * DEVICES_PER_ELDER)
    gateways = rig.start(client_id, slots, count)
    try:
        _ready(conn, gateways, client_id)
        phase.rate = args.rate
        pids = [g.pid for g in gateways] + [rig.broker_pid, rig.postmaster_pid]
        before, started = _cpu(pids), time.monotonic()
        with RawPublisher(rig.mqtt_url, f"{client_id}-paced") as publisher:
            stats = publisher.publish_paced(
                args.rate, args.seconds, lambda i, now: workload.paced(i, now, seq)
            )
        _wait(conn, gateways, lambda: _rows(conn, seq) >= stats.messages, 120, "paced stored")
        phase.paced_cpu_pct = _kinds(_used(pids, before), count, 100 / (time.monotonic() - started))
        phase.paced_events = stats.messages
        lags = sorted(
            float(r[0])
            for r in conn.execute(
                "SELECT 1000 * (extract(epoch FROM pg_xact_commit_timestamp(xmin))"
                " - (extra->>'pub')::float8) FROM events"
                " WHERE device_id LIKE %s AND seq = %s AND extra ? 'pub'",
                (DEVICE_PREFIX + "%", seq),
            ).fetchall()
        )
        phase.lag_p50_ms, phase.lag_p99_ms = percentile(lags, 50), percentile(lags, 99)
        phase.lag_max_ms = lags[-1] if lags else None
    finally:
        _stop_all(gateways)
    # The burst waits in the stopped gateways' sessions (a share each), then is drained.
    burst_seq = seq + 1
    with RawPublisher(rig.mqtt_url, f"{client_id}-burst") as publisher:
        start = datetime.now(UTC) - timedelta(seconds=5)
        publisher.publish(workload.burst(args.burst, burst_seq, start))
    gateways = rig.start(client_id, slots, count)
    try:
        _wait(conn, gateways, lambda: _rows(conn, burst_seq) > 0, READY_S, "first burst row")
        pids = [g.pid for g in gateways] + [rig.broker_pid, rig.postmaster_pid]
        first, before, t0 = _rows(conn, burst_seq), _cpu(pids), time.monotonic()
        _wait(conn, gateways, lambda: _rows(conn, burst_seq) >= args.burst, 300, "burst stored")
        seconds = time.monotonic() - t0
        done = args.burst - first
        if done > 0:  # a small burst can be stored whole before the first look: not timed
            phase.drain_eps = done / seconds
            phase.drain_cpu_us = _kinds(_used(pids, before), count, 1e6 / done)
    finally:
        _stop_all(gateways)
    return phase


def _stop_all(gateways: list[Gateway]) -> None:
    """SIGTERM to all at once: stopped one by one, the others would drain each one's
    session as an orphan (and end it) before their own turn."""
    for gateway in gateways:
        if gateway.alive():
            gateway.process.send_signal(signal.SIGTERM)
    for gateway in gateways:
        gateway.stop()


def _used(pids: list[int], before: list[float]) -> list[float]:
    return [after - b for after, b in zip(_cpu(pids), before, strict=True)]


def _kinds(used: list[float], gateways: int, scale: float) -> dict[str, float]:
    """CPU seconds per process → the figure per kind: each gateway, the broker, PostgreSQL."""
    figures = {f"gateway_{i}": used[i] * scale for i in range(gateways)}
    figures["gateways"] = sum(used[:gateways]) * scale
    figures["broker"] = used[gateways] * scale
    figures["database"] = used[gateways + 1] * scale
    return {k: round(v, 1) for k, v in figures.items()}


def storage(conn: _db.Conn) -> dict[str, float]:
    """Rows and on-disk bytes of ``events`` (its partitions, with TOAST and indexes)."""
    conn.execute("VACUUM ANALYZE events")
    rows = int(_scalar(conn, "SELECT count(*) FROM events"))
    size = int(
        _scalar(
            conn,
            "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('events')"
            " WHERE isleaf",
        )
        or _scalar(conn, "SELECT pg_total_relation_size('events')")
    )
    heap = int(
        _scalar(
            conn,
            "SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('events') WHERE isleaf",
        )
        or 0
    )
    return {
        "rows": rows,
        "bytes_per_event": round(size / rows, 1),
        "heap_bytes_per_event": round(heap / rows, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=int, default=100_000)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="paced phase length")
    parser.add_argument("--burst", type=int, default=60_000, help="events queued, then drained")
    parser.add_argument("--sim-homes", type=int, default=500)
    parser.add_argument("--sim-days", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a small run that checks it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.homes, args.seconds, args.burst, args.sim_homes, args.sim_days = 2_000, 3, 3_000, 30, 1
    t_start, load_before = time.monotonic(), os.getloadavg()[0]
    kits = per_kit(args.sim_homes, args.sim_days)
    per_home_day = next(k for k in kits if k.kit == "all").events_per_home_day
    args.rate = args.homes * per_home_day * args.speed / 86_400
    print(
        "events a home sends a day, by kit (simulators, "
        f"{args.sim_homes} homes × {args.sim_days} days):"
    )
    for k in kits:
        print(
            f"  {k.kit:10} {k.homes:5} homes  {k.devices_per_home:5.1f} devices"
            f"  {k.messages_per_home_day:6.0f} messages  {k.events_per_home_day:6.0f} events"
        )
    print(
        f"{args.homes} homes × {per_home_day:.0f} events/day × speed {args.speed:g}"
        f" = {args.rate:,.0f} events/s"
    )
    phases = []
    with rig(args.homes) as opened, psycopg.connect(opened.database_url, autocommit=True) as conn:
        for n, count in enumerate((1, GATEWAYS)):
            phases.append(measure(opened, conn, count, args, seq=10 * (n + 1)))
            print(json.dumps(phases[-1].__dict__))
        published = sum(p.paced_events for p in phases) + args.burst * len(phases)
        tally = _db.tally(conn)
        sizes = storage(conn)
    result = {
        "homes": args.homes,
        "speed": args.speed,
        "rate_eps": round(args.rate, 1),
        "events_per_home_day": {k.kit: round(k.events_per_home_day, 1) for k in kits},
        "messages_per_home_day": {k.kit: round(k.messages_per_home_day, 1) for k in kits},
        "phases": [p.__dict__ for p in phases],
        "lost": published - tally.distinct,
        "duplicated": tally.rows - tally.distinct,
        **sizes,
        "run_s": round(time.monotonic() - t_start, 1),
        # Other work on the machine takes CPU from every process measured here.
        "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
