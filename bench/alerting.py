"""Alerting benchmark: do alerts reach a person in time, once, and never after the ack?

Starts a private Mosquitto and PostgreSQL, migrates a fresh database, registers the homes
(an SOS button and two emergency contacts each) and a background fleet, starts a webhook
receiver (a real local HTTP server) and one ``tanfang serve`` process (gateway, API and
escalator) delivering to it. Then, each phase printing one line:

1. latency: SOS presses on distinct homes while the gateway stores ≥ 5 000 background
   events/s; publish → the on-call's webhook POST received;
2. steps: short escalation steps (0 / 2 / 4 s, then every 3 s) with the earlier alerts still
   open, and ``kill -9`` of the process mid-escalation, then a restart: how late each step
   arrives against its due time; every step exactly once;
3. after_ack: those alerts acked through the API at random moments: no notification asking
   for an ack sent after the ack committed;
4. ingest: events stored per second while the webhook answers, and while it hangs.

The last line is one JSON object: ``{"background_eps", "sos_sent", "sos_alerted",
"sos_p50_ms", "sos_p99_ms", "steps_late_p99_ms", "steps_duplicated", "after_ack", …}``.
Run: ``.venv/bin/python bench/alerting.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg

from bench import _alert_phases as phases
from bench import _alert_steps as escalation
from bench import _db
from bench._alert_fleet import Homes, register_homes, staff_on_duty
from bench._alert_phases import Results, Sizes
from bench._alert_rig import Rig
from bench._mqtt import RawPublisher
from store.migrate import migrate_url
from tests.rig.mosquitto import MosquittoMissingError, start_mosquitto
from tests.rig.postgres import start_postgres
from tests.rig.tanfang_process import ProcessFailedError
from tests.rig.webhook_receiver import WebhookReceiver

# The figures: 10 000 presses under ≥ 5 000 events/s, 1 000 alerts acked.
FULL = Sizes(
    latency_presses=300,
    latency_rate=10.0,
    presses=10_000,
    flood_rate=200.0,
    flood_under_traffic=0,
    background_eps=5_500.0,
    background_devices=4_000,
    step_alerts=150,
    steps_open_s=5.0,
    steps_before_kill_s=10.0,
    steps_after_restart_s=8.0,
    ack_alerts=1_000,
    ack_rate=25.0,
    ack_within_s=8.0,
    burst=60_000,
    burst_presses=100,
)
# About a minute: the same phases, a tenth of the presses.
QUICK = Sizes(
    latency_presses=100,
    latency_rate=10.0,
    presses=1_000,
    flood_rate=200.0,
    flood_under_traffic=0,
    background_eps=5_500.0,
    background_devices=2_000,
    step_alerts=100,
    steps_open_s=3.0,
    steps_before_kill_s=6.0,
    steps_after_restart_s=5.0,
    ack_alerts=200,
    ack_rate=20.0,
    ack_within_s=8.0,
    burst=20_000,
    burst_presses=40,
)
# The smoke test's: every phase runs, nothing is measured that means anything.
SMOKE = Sizes(
    latency_presses=10,
    latency_rate=20.0,
    presses=30,
    flood_rate=50.0,
    flood_under_traffic=0,
    background_eps=300.0,
    background_devices=50,
    step_alerts=10,
    steps_open_s=1.0,
    # The kill falls between the steps of 2 s and 4 s (none in flight): at this size the
    # smoke test's counts are exact; the full run's kill falls among the steps.
    steps_before_kill_s=2.55,
    steps_after_restart_s=3.0,
    ack_alerts=10,
    ack_rate=10.0,
    ack_within_s=3.0,
    burst=1_000,
    burst_presses=8,
)
HEADLINE = (
    "background_eps",
    "sos_sent",
    "sos_alerted",
    "sos_p50_ms",
    "sos_p99_ms",
    "steps_late_p99_ms",
    "steps_duplicated",
    "after_ack",
)


async def run_bench(sizes: Sizes, database_url: str, mqtt_url: str, workdir: Path) -> Results:
    """Every phase against a fresh, empty database at ``database_url`` and the broker at
    ``mqtt_url``; the figures, headline keys first."""
    began = time.perf_counter()
    await migrate_url(database_url)
    await asyncio.to_thread(register_homes, database_url, sizes.homes(), sizes.background_devices)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as db:
        cur = await db.execute("SHOW track_commit_timestamp")
        row = await cur.fetchone()
        commit_timestamps = row is not None and row[0] == "on"
        async with WebhookReceiver() as rx:
            rig = Rig(database_url, mqtt_url, workdir, rx, Homes(sizes.homes()), commit_timestamps)
            rig.db = db
            try:
                out = await _phases(rig, sizes)
            finally:
                if rig.serve is not None:
                    await asyncio.to_thread(rig.serve.stop)
    out.values["run_s"] = round(time.perf_counter() - began, 1)
    # Other work on the machine shows in every figure: say how busy it was.
    out.values["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    out.values = {k: out.values.get(k) for k in HEADLINE} | out.values
    return out


async def _phases(rig: Rig, sizes: Sizes) -> Results:
    await rig.start_serve()
    out = Results()
    headers = {"Authorization": f"Bearer {rig.admin_token}"}
    async with httpx.AsyncClient(base_url=rig.api_url, headers=headers, timeout=30) as api:
        rig.api = api
        with RawPublisher(rig.mqtt_url, f"tanfang-bench-buttons-{rig.run_id}") as buttons:
            rig.buttons = buttons
            await staff_on_duty(api)
            await phases.latency(rig, sizes, out)
            run = await escalation.steps(rig, sizes, out)
            await escalation.after_ack(rig, sizes, run, out)
            await phases.ingest(rig, sizes, out)
    return out


def _start_rig(stack: ExitStack, logs: Path | None) -> tuple[str, str, Path]:
    pg = start_postgres()
    stack.callback(pg.stop)
    # Ack commit times and burst windows come from PostgreSQL's commit timestamps.
    _db.enable_commit_timestamps(pg)
    url = _db.create_database(pg, "alerting")
    broker = start_mosquitto()
    stack.callback(broker.stop)
    if logs is not None:
        logs.mkdir(parents=True, exist_ok=True)
        return url, broker.url, logs
    workdir = Path(tempfile.mkdtemp(prefix="tanfang-alert-bench-"))
    stack.callback(shutil.rmtree, workdir, True)
    return url, broker.url, workdir


def ok(values: dict[str, Any]) -> bool:
    """Whether the counts that must hold did (timings are printed, never judged here)."""
    return (
        values.get("sos_alerted") == values.get("sos_sent")
        and values.get("steps_duplicated") == 0
        and values.get("after_ack") == 0
    )


def _changed(sizes: Sizes, changes: list[str]) -> Sizes:
    known = {f.name: f.type for f in dataclasses.fields(Sizes)}
    updates: dict[str, Any] = {}
    for change in changes:
        name, _, value = change.partition("=")
        if name not in known or not value:
            raise ValueError(f"--set takes NAME=VALUE with NAME one of {', '.join(known)}")
        updates[name] = float(value) if known[name] in (float, "float") else int(value)
    return dataclasses.replace(sizes, **updates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size (~1 min)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change one size, e.g. --set presses=500 --set background_eps=0 (repeatable)",
    )
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep the serve process's log in DIR"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    # SIGTERM (a timeout, a CI job cancelled) unwinds like Ctrl-C: the private PostgreSQL,
    # Mosquitto and tanfang processes are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sizes = _changed(sizes, args.set)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        with ExitStack() as stack:
            url, mqtt, workdir = _start_rig(stack, args.logs)
            out = asyncio.run(run_bench(sizes, url, mqtt, workdir))
    except (MosquittoMissingError, ProcessFailedError, RuntimeError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out.values, ensure_ascii=False), flush=True)
    return 0 if ok(out.values) else 2


if __name__ == "__main__":
    sys.exit(main())
