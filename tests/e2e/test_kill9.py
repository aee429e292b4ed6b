"""``kill -9`` of a gateway process mid-stream loses no acknowledged event: the persistent
session keeps every unacknowledged message in the broker, the next gateway with the same
client id receives them, and the idempotent insert stores each event exactly once. The
gateway is ``python -m gateway``, composed as ``tanfang gateway``: every stored check-in has
its online visit, even those committed just before the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, scalar, stored_seqs

ROOT_DIR = Path(__file__).resolve().parents[2]
DEVICES = [f"k9-{i:02d}" for i in range(20)]
EVENTS = 20_000
CHECKIN_EVERY = 10  # every tenth event is a Ping An Tong press


def gateway_env(settings: Settings, client_id: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    env.update(
        TANFANG_MQTT_URL=str(settings.mqtt_url),
        TANFANG_DATABASE_URL=str(settings.database_url),
        TANFANG_TOPIC_ROOT=settings.topic_root,
        TANFANG_MQTT_CLIENT_ID=client_id,
        # Small batches: many commits, so that the kill falls between two of them.
        TANFANG_BATCH_MAX_ROWS="200",
        TANFANG_BATCH_MAX_MS="20",
    )
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def start(spawned: list[subprocess.Popen[bytes]], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway"], cwd=ROOT_DIR, env=env, stdout=sink, stderr=sink
        )
    spawned.append(process)
    return process.pid


def message(root: str, n: int, base: float | None) -> tuple[str, bytes]:
    device = DEVICES[n % len(DEVICES)]
    kind = "checkin" if n % CHECKIN_EVERY == 0 else "motion"
    body: dict[str, object] = {"seq": n, "kind": kind}
    if base is not None:
        body["ts"] = base + n / 1000
    return f"{root}/dev/{device}/events", orjson.dumps(body)


# Without a device time, each delivery is stored with its own receive time: a redelivery is
# recognised by its DUP bit and seq instead of the (device_id, ts, seq) key.
@pytest.mark.parametrize("device_time", [True, False], ids=["device-time", "no-device-time"])
async def test_kill_9_mid_stream_loses_no_acknowledged_event_and_stores_each_once(
    device_time: bool,
    settings: Settings,
    database_url: str,
    mqtt_url: str,
    topic_root: str,
    spawn: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    # Events far in the past would be flagged clock_skew and stored at receive time, which
    # differs per delivery: use device times of now, so a redelivery has the same key.
    base = time.time() - 60 if device_time else None
    # Wearables: they send both motion and the check-in presses mixed in.
    await register(database_url, DEVICES, device_type="wearable")
    env = gateway_env(settings, f"tanfang-k9-{uuid.uuid4().hex[:8]}")
    log = tmp_path / "gateway.log"

    start(spawn, env, log)
    probe = Publisher(mqtt_url)
    probe.connect()

    async def probe_stored() -> int:
        probe.publish(f"{topic_root}/dev/{DEVICES[0]}/events", b'{"kind": "heartbeat"}')
        return int(await scalar(database_url, "SELECT count(*) FROM events WHERE seq IS NULL"))

    await poll(probe_stored, bool, deadline_s=60, what=f"gateway subscribed ({log})")
    probe.close()

    publisher = Publisher(mqtt_url)
    publisher.connect()

    def publish_all() -> None:
        infos = []
        for n in range(EVENTS):
            topic, body = message(topic_root, n, base)
            infos.append(publisher.publish(topic, body, wait=False))
        for info in infos:
            info.wait_for_publish(timeout=60)

    sender = threading.Thread(target=publish_all, name="k9-publisher")
    sender.start()
    try:
        stored_at_kill = await poll(
            lambda: _count(database_url), lambda n: n >= EVENTS // 10, deadline_s=60
        )
        spawn[0].send_signal(signal.SIGKILL)
        spawn[0].wait()
        assert stored_at_kill < EVENTS, "the kill came after the whole stream was stored"
    finally:
        await asyncio.to_thread(sender.join, 120)
        publisher.close()

    start(spawn, env, log)
    await poll(
        lambda: _count(database_url),
        lambda n: n >= EVENTS,
        deadline_s=120,
        what="all events stored after restart",
    )
    assert await stored_seqs(database_url) == (EVENTS, EVENTS, 0, EVENTS - 1)
    # Each press is its visit's evidence, written in the transaction that stored the press.
    presses = await scalar(database_url, "SELECT count(*) FROM events WHERE kind = 'checkin'")
    assert presses == EVENTS // CHECKIN_EVERY
    assert await scalar(database_url, "SELECT count(*) FROM visit_evidence") == presses
    visits = await fetch(database_url, "SELECT elder_id, source FROM visits")
    assert set(visits) == {("KP-1", "checkin")}
    assert len(visits) <= 2, "one online visit per local day"
    spawn[1].send_signal(signal.SIGTERM)
    assert spawn[1].wait(timeout=30) == 0, log.read_text()[-2000:]


async def _count(url: str) -> int:
    return int(await scalar(url, "SELECT count(*) FROM events WHERE seq IS NOT NULL"))
