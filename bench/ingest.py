"""Ingest benchmark: the gateway against the broker's own limit, on this machine.

Starts a private Mosquitto and PostgreSQL, registers the fleet, and lets the burst of events
queue in the broker for two persistent sessions while their subscribers are down, so that the
publisher is never what is measured. Then it times, one after the other:

(a) ``mosquitto_sub`` (C, QoS 1) draining its session — the broker's limit here;
(b) the gateway (``python -m gateway``) draining its session into PostgreSQL, each message
    acknowledged after its batch commits — first receive to last commit;
(c) publish→commit lag at a steady rate into the running gateway.

It checks that nothing was lost or stored twice and reads the gateway's peak RSS. All of it
runs twice, on a fresh rig each: without the detection path (``TANFANG_DETECT=false``) and
with it (the gateway leads the detectors, sweeping the fleet's elders and ``--detect-homes``
more homes every ``TANFANG_DETECT_INTERVAL_S`` and reading every committed event, while it
ingests). It prints a table of each and, last, one JSON line: the run without, and the run
with as ``gateway_eps_detect``, ``ratio_detect``, ``lag_p99_ms_detect`` (and
``detect_vs_off``, the ratio with over the ratio without).
Run: ``make bench`` or ``python bench/ingest.py --help``.
"""

from __future__ import annotations

import json
import math
import secrets
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import _bare, _db
from bench._db import Conn
from bench._figures import Figures, percentile, table
from bench._gateway import (
    Gateway,
    attach_profiler,
    cpu_seconds,
    peak_rss_mib,
    start_gateway,
    stop_profiler,
)
from bench._ingest_options import Options, parse_args
from bench._mqtt import RawPublisher
from bench._services import start_services
from bench._workload import PROBE_DEVICE, Workload
from tests.rig.mosquitto import MosquittoMissingError

ROOT = "bench/v1"
GATEWAY_CLIENT = "tanfang-bench-gateway"
# Two baseline sessions queue the same burst: one is drained before the gateway's drain and
# one after, so that a change of load on the machine during the run shows, and averages out.
BARE_CLIENTS = ("tanfang-bench-bare-1", "tanfang-bench-bare-2")


LEADS = "detection: this gateway leads"


class BenchError(RuntimeError):
    pass


@dataclass
class Rig:
    mqtt_url: str
    database_url: str
    workdir: Path
    protocol: str
    gateway_command: list[str]
    gateway_env: tuple[tuple[str, str], ...]
    broker_pid: int
    postmaster_pid: int
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def topic(self) -> str:
        return f"{ROOT}/dev/+/events"

    def gateway_settings(self) -> dict[str, str]:
        return {
            "TANFANG_MQTT_URL": self.mqtt_url,
            "TANFANG_DATABASE_URL": self.database_url,
            "TANFANG_TOPIC_ROOT": ROOT,
            "TANFANG_MQTT_CLIENT_ID": GATEWAY_CLIENT,
            "TANFANG_MQTT_PROTOCOL": self.protocol,
            "TANFANG_ADMIN_TOKEN": self.admin_token,
            **dict(self.gateway_env),
        }

    def start_gateway(self) -> Gateway:
        log = self.workdir / "gateway.log"
        return start_gateway(self.gateway_command, self.gateway_settings(), log)


def set_up(opts: Options, stack: ExitStack) -> Rig:
    services = start_services(stack, "bench", opts.devices)
    if dict(opts.gateway_env).get("TANFANG_DETECT") == "true":
        _db.register_detect_homes(services.database_url, opts.detect_homes)
    return Rig(
        services.mqtt_url,
        services.database_url,
        services.workdir,
        opts.protocol,
        opts.gateway_command,
        opts.gateway_env,
        services.broker_pid,
        services.postmaster_pid,
    )


def _fail(gateway: Gateway, why: str) -> BenchError:
    gateway.stop()
    return BenchError(f"{why}; the gateway's log ends with:\n{gateway.log_tail()}")


def prime_gateway_session(rig: Rig, conn: Conn) -> float:
    """Start the gateway until it is subscribed (a probe event is stored), then stop it.

    Returns the seconds from spawn to the first stored probe.
    """
    gateway = rig.start_gateway()
    topic = f"{ROOT}/dev/{PROBE_DEVICE}/events".encode()
    end = time.monotonic() + 90
    with RawPublisher(rig.mqtt_url, "tanfang-bench-probe") as publisher:
        seq = 0
        while _db.count_probe_rows(conn) == 0:
            if not gateway.alive():
                raise _fail(gateway, "the gateway exited while starting")
            if time.monotonic() > end:
                raise _fail(gateway, "no probe event was stored within 90 s")
            seq += 1
            stamp = datetime.now(UTC).isoformat()
            payload = f'{{"ts":"{stamp}","seq":{seq},"kind":"motion"}}'.encode()
            publisher.publish([(topic, payload)])
            time.sleep(0.3)  # probe interval; the loop is bounded by the deadline
    subscribed = time.time() - gateway.started
    gateway.stop()
    return subscribed


def publish_burst(opts: Options, rig: Rig, workload: Workload) -> float:
    """Publish the burst while both subscribers are down; returns the publish rate."""
    start = datetime.now(UTC) - timedelta(seconds=5)
    messages = workload.burst(opts.events, 1, start)
    with RawPublisher(rig.mqtt_url, "tanfang-bench-publisher") as publisher:
        return publisher.publish(messages).rate


def measure_bare(opts: Options, rig: Rig, client_id: str, figures: Figures) -> None:
    result = _bare.drain(
        rig.mqtt_url,
        rig.topic,
        client_id,
        opts.protocol,
        opts.events,
        rig.workdir / f"{client_id}.out",
        timeout_s=max(60.0, opts.events / 2_000),
    )
    figures.bare_runs.append(result.eps)
    if result.received:
        figures.bare_cpu_us = result.cpu_s / result.received * 1e6
    if result.received != opts.events:
        figures.notes.append(f"mosquitto_sub received {result.received} of {opts.events}")


def measure_drain(opts: Options, rig: Rig, conn: Conn, figures: Figures) -> Gateway:
    """Start the gateway on its queued session and time until every row is committed."""
    gateway = rig.start_gateway()
    # From the first stored row on, CPU time and samples are ingest, not start-up.
    first_rows, _ = _db.wait_for_rows(conn, 1, 60, poll_s=0.02)
    if first_rows == 0:
        raise _fail(gateway, "the gateway stored nothing of its queued session within 60 s")
    pids = (gateway.pid, rig.broker_pid, rig.postmaster_pid)
    cpu_before = [cpu_seconds(pid, tree=True) for pid in pids]
    profiler = attach_profiler(gateway.pid, opts.py_spy) if opts.py_spy else None
    deadline = max(60.0, opts.events / 2_000)
    seen, seen_at = _db.wait_for_rows(conn, opts.events, deadline)
    if seen > first_rows:
        used = [cpu_seconds(pid, tree=True) - b for pid, b in zip(pids, cpu_before, strict=True)]
        per_event = [u / (seen - first_rows) * 1e6 for u in used]
        figures.gateway_cpu_us, figures.broker_cpu_us, figures.database_cpu_us = per_event
    if profiler is not None:
        stop_profiler(profiler)
        figures.notes.append(f"py-spy sampled the gateway during the drain: {opts.py_spy}")
    if not gateway.alive():
        raise _fail(gateway, "the gateway exited during the drain")
    window = _db.drain_window(conn, max_seq=math.ceil(opts.events / opts.devices))
    if seen < opts.events:
        figures.notes.append(f"drain: only {seen} of {opts.events} rows after {deadline:.0f} s")
    if window.seconds > 0:
        figures.gateway_eps = window.rows / window.seconds
        figures.gateway_drain_s = window.seconds
    figures.gateway_eps_wall = seen / (seen_at - gateway.started)
    return gateway


def measure_lag(
    opts: Options,
    rig: Rig,
    workload: Workload,
    conn: Conn,
    figures: Figures,
) -> int:
    """Publish at a steady rate into the running gateway; returns how many were published."""
    first_seq = math.ceil(opts.events / opts.devices) + 1
    with RawPublisher(rig.mqtt_url, "tanfang-bench-paced") as publisher:
        stats = publisher.publish_paced(
            opts.lag_rate, opts.lag_seconds, lambda i, now: workload.paced(i, now, first_seq)
        )
    if stats.seconds > opts.lag_seconds * 1.1:
        figures.notes.append(f"lag phase: the publisher fell behind ({stats.rate:.0f}/s)")
    _db.wait_for_rows(conn, opts.events + stats.messages, 60)
    lag = _db.lag_samples(conn)
    figures.lag_rate, figures.lag_events = opts.lag_rate, lag.rows
    figures.lag_p50_ms = percentile(lag.commit_ms, 50)
    figures.lag_p99_ms = percentile(lag.commit_ms, 99)
    figures.lag_max_ms = lag.commit_ms[-1] if lag.commit_ms else None
    figures.receive_lag_p50_ms = percentile(lag.receive_ms, 50)
    figures.receive_lag_p99_ms = percentile(lag.receive_ms, 99)
    return stats.messages


def verify(conn: Conn, published: int, figures: Figures) -> None:
    counts = _db.tally(conn)
    figures.lost = max(0, published - counts.distinct)
    figures.duplicated = counts.rows - counts.distinct
    figures.dead_letters, figures.clock_skew_flags = counts.dead_letters, counts.flagged


def run(opts: Options, stack: ExitStack) -> Figures:
    began = time.perf_counter()
    figures = Figures(opts.events, opts.devices, opts.protocol)
    rig = set_up(opts, stack)
    workload = Workload(ROOT, opts.devices)
    conn = stack.enter_context(psycopg.connect(rig.database_url, autocommit=True))
    for client_id in BARE_CLIENTS:
        _bare.create_session(rig.mqtt_url, rig.topic, client_id, opts.protocol)
    if opts.gateway:
        figures.subscribe_s = prime_gateway_session(rig, conn)
    figures.publish_eps = publish_burst(opts, rig, workload)
    measure_bare(opts, rig, BARE_CLIENTS[0], figures)
    if opts.gateway:
        gateway = measure_drain(opts, rig, conn, figures)
        stack.callback(gateway.stop)
    measure_bare(opts, rig, BARE_CLIENTS[1], figures)
    if opts.gateway:
        published = opts.events + measure_lag(opts, rig, workload, conn, figures)
        figures.rss_mib = peak_rss_mib(gateway.pid)
        gateway.stop()
        if dict(opts.gateway_env).get("TANFANG_DETECT") == "true" and LEADS not in (
            rig.workdir / "gateway.log"
        ).read_text(errors="replace"):
            figures.notes.append("detection on, but the gateway never led it")
        verify(conn, published, figures)
        if figures.lost or figures.duplicated:
            print(f"the gateway's log ends with:\n{gateway.log_tail()}", file=sys.stderr)
    figures.run_s = time.perf_counter() - began
    return figures


def with_detection(opts: Options, on: bool) -> Options:
    setting = ("TANFANG_DETECT", "true" if on else "false")
    return replace(opts, gateway_env=(*opts.gateway_env, setting))


def combined(off: Figures | None, on: Figures | None) -> str:
    """The JSON line: the run without detection's figures, and the run with it as
    ``*_detect`` (its ratio also against the run without: ``detect_vs_off``)."""
    base = off or on
    assert base is not None
    out = base.as_json()
    if off is not None and on is not None:
        figures = on.as_json()
        out |= {
            f"{k}_detect": figures[k]
            for k in (
                "gateway_eps",
                "ratio",
                "lag_p99_ms",
                "lag_p50_ms",
                "rss_mib",
                "lost",
                "duplicated",
            )
        }
        out["detect_homes"] = on.detect_homes
        if off.ratio and on.ratio:
            out["detect_vs_off"] = round(on.ratio / off.ratio, 3)
    return json.dumps(out, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    modes = {"both": (False, True), "off": (False,), "on": (True,)}[opts.detect]
    done: dict[bool, Figures] = {}
    try:
        for on in modes:
            with ExitStack() as stack:
                done[on] = run(with_detection(opts, on), stack)
                done[on].detect_homes = opts.detect_homes if on else 0
    except (BenchError, MosquittoMissingError, _bare.BareClientMissingError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    for on, figures in done.items():
        print(
            f"--- detection {'on: the leader sweeps' if on else 'off'}"
            f"{f' {opts.detect_homes:,} more homes' if on else ''} ---"
        )
        print(table(figures))
    print(combined(done.get(False), done.get(True)), flush=True)
    ok = not opts.gateway or all(f.lost == 0 and f.duplicated == 0 for f in done.values())
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
