"""Nothing a client sends stalls the event loop that ingest shares (issue 10).

Gateway and API run in one loop, as ``tanfang serve`` runs them (``tanfang.runtime.run``),
while devices publish a steady stream and a client sends abusive requests in parallel:
10 MB bodies (declared, and streamed chunked), JSON nested a million levels deep, lists of
hundreds of thousands of items. Before the body cap, two 10 MB bodies held an SOS's commit
back from 0.02 s to 3.4 s.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Final

import httpx
import numpy as np
import orjson
import pytest

from devices.schema import events_topic
from gateway import metrics
from tanfang import runtime
from tanfang.settings import Settings
from tests.api import abuser
from tests.api.conftest import bearer
from tests.gateway.helpers import DEADLINE_S, Publisher, poll, scalar
from tests.rig.ports import free_port

RATE_PER_S: Final = 500
DURATION_S: Final = 10.0
DEVICES: Final = [f"env-{n}" for n in range(5)]
P99_LAG_LIMIT_S: Final = 0.25
QUICK_ANSWER_S: Final = 1.0
ANSWERS: Final = {
    ("declared_10_mb", 413),
    ("chunked_10_mb", 413),
    ("nested_500000_deep", 422),
    ("list_of_150000_ids", 422),
    ("unknown_list_of_450000", 422),
}


def device_lag_buckets() -> np.ndarray:
    """Cumulative counts of the gateway's publish→commit lag histogram (device ``ts`` to
    commit), one per bound of ``metrics.DEVICE_LAG`` and +Inf."""
    family = next(iter(metrics.DEVICE_LAG.collect()))
    return np.array([s.value for s in family.samples if s.name.endswith("_bucket")])


def bounds() -> list[float]:
    family = next(iter(metrics.DEVICE_LAG.collect()))
    return [float(s.labels["le"]) for s in family.samples if s.name.endswith("_bucket")]


def p99(cumulative: np.ndarray, les: list[float]) -> float:
    """The 99th percentile, interpolated in its bucket as Prometheus' histogram_quantile."""
    total = cumulative[-1]
    rank = 0.99 * total
    index = int(np.searchsorted(cumulative, rank, side="left"))
    lower = 0.0 if index == 0 else les[index - 1]
    below = 0.0 if index == 0 else cumulative[index - 1]
    upper = les[index] if les[index] != float("inf") else lower
    share = (rank - below) / max(cumulative[index] - below, 1)
    return float(lower + (upper - lower) * share)


def publish_steadily(mqtt_url: str, root: str) -> int:
    """RATE_PER_S events a second over DEVICES for DURATION_S, each stamped when sent."""
    publisher = Publisher(mqtt_url)
    publisher.connect()
    connected_by = time.monotonic() + DEADLINE_S
    while not publisher.client.is_connected():  # a message sent before CONNACK is lost
        assert time.monotonic() < connected_by, "publisher not connected"
        time.sleep(0.01)
    sent, started = 0, time.monotonic()
    infos = []
    try:
        while (elapsed := time.monotonic() - started) < DURATION_S:
            due = int(elapsed * RATE_PER_S)
            while sent < due:
                device = DEVICES[sent % len(DEVICES)]
                event = {"kind": "temperature", "value": 21.5, "seq": sent, "ts": time.time()}
                topic = events_topic(root, device)
                infos.append(publisher.publish(topic, orjson.dumps(event), wait=False))
                sent += 1
            time.sleep(0.002)  # pacing the sender, not waiting for a result
        for info in infos:  # every PUBACK in before the connection closes
            info.wait_for_publish(timeout=DEADLINE_S)
    finally:
        publisher.close()
    return sent


async def gateway_listening(publisher: Publisher, database_url: str, root: str) -> int:
    """Heartbeats until one is stored: the gateway has subscribed (a message before that is
    not delivered to it). The events stored by then."""

    async def stored_after_heartbeat() -> int:
        publisher.publish(events_topic(root, DEVICES[0]), b'{"kind": "heartbeat"}')
        count: int = await scalar(database_url, "SELECT count(*) FROM events")
        return count

    return await poll(stored_after_heartbeat, lambda n: n > 0, what="the gateway listening")


@pytest.mark.slow
@pytest.mark.timed
async def test_abusive_requests_neither_stall_ingest_nor_get_past_413_or_422(
    settings: Settings,
    admin_token: str,
    database_url: str,
    mqtt_url: str,
    topic_root: str,
    publisher: Publisher,
) -> None:
    port = free_port()
    served = settings.model_copy(update={"api_port": port, "batch_max_ms": 20})
    stop = asyncio.Event()
    answers: list[tuple[str, int, float]] = []
    sent = 0
    before = device_lag_buckets()

    async def started() -> None:
        nonlocal sent
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                admin = bearer(admin_token)
                for device in DEVICES:
                    body = {"id": device, "type": "env_sensor"}
                    registered = await client.post("/api/v1/devices", json=body, headers=admin)
                    assert registered.status_code == 201, registered.text
                made = await client.post(
                    "/api/v1/tokens",
                    json={"role": "town_staff", "town": "赤坎鎮", "name": "abuse"},
                    headers=admin,
                )
                staff = made.json()["token"]
                stored_before = await gateway_listening(publisher, database_url, topic_root)
                abusing = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.api.abuser",
                    str(port),
                    staff,
                    admin_token,
                    str(DURATION_S),
                    stdout=asyncio.subprocess.PIPE,
                )
                try:
                    sent = await asyncio.to_thread(publish_steadily, mqtt_url, topic_root)
                finally:
                    out, _ = await abusing.communicate()
                answers.extend((kind, status, took) for kind, status, took in orjson.loads(out))
                await poll(
                    lambda: scalar(database_url, "SELECT count(*) FROM events"),
                    lambda n: n >= stored_before + sent,
                    what="every published event stored",
                )
        finally:
            stop.set()

    await asyncio.wait_for(
        runtime.run(served, gateway=True, api=True, stop=stop, api_started=started), timeout=120
    )

    lag = device_lag_buckets() - before
    les = bounds()
    measured = p99(lag, les)
    print(f"events {sent}, abusive requests {len(answers)}, p99 publish→commit {measured:.3f} s")
    assert sent >= RATE_PER_S * DURATION_S * 0.9
    assert lag[-1] >= sent
    assert lag[les.index(P99_LAG_LIMIT_S)] >= 0.99 * lag[-1], f"p99 lag {measured:.3f} s"
    statuses = {(kind, status) for kind, status, _ in answers}
    assert {kind for kind, _ in statuses} == set(abuser.KINDS), statuses
    # Every kind got its refusal at least once; one refused while its body was still being
    # sent (all but the declared 10 MB, refused by its header) may instead see that answer
    # lost to a TCP reset (CLOSED). A stalled server shows as ``slowest`` below, not here.
    assert statuses >= ANSWERS, statuses
    mid_body = {(kind, abuser.CLOSED) for kind, _ in ANSWERS if kind != "declared_10_mb"}
    assert statuses <= ANSWERS | mid_body, statuses
    assert len(answers) >= 5 * len(abuser.KINDS)
    slowest = max(took for _, _, took in answers)
    assert slowest < QUICK_ANSWER_S, f"an abusive request took {slowest:.2f} s"
