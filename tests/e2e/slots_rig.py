"""The rig of the gateway-slot tests: three ``tanfang gateway`` processes on one shared group
(``TANFANG_GATEWAY_SLOTS``), a paced stream of 30 000 events with SOS among them, and looks
at who holds which slot (``pg_locks`` with the keepers' ``application_name``)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson

from gateway.slots import SlotNames
from tests.gateway.helpers import Publisher, fetch, poll, scalar
from tests.rig.tanfang_process import TanfangProcess

GATEWAYS = 3
DEVICES = [f"sl-{i:02d}" for i in range(30)]
EVENTS = 30_000
SOS_EVERY = 500  # 60 SOS presses among the events
RATE = 3_000  # events/s: the stream lasts 10 s, the faults fall inside it
SOS_WITHIN_S = 5.0


def gateway_processes(
    database_url: str, mqtt_url: str, topic_root: str, logs: Path
) -> list[TanfangProcess]:
    """Three gateways of one deployment (same settings), not started."""
    prefix = f"tanfang-slots-{uuid.uuid4().hex[:8]}"
    env = {
        "TANFANG_MQTT_URL": mqtt_url,
        "TANFANG_DATABASE_URL": database_url,
        "TANFANG_TOPIC_ROOT": topic_root,
        "TANFANG_MQTT_CLIENT_ID": prefix,
        "TANFANG_SHARED_GROUP": prefix,
        "TANFANG_GATEWAY_SLOTS": str(GATEWAYS),
        "TANFANG_BATCH_MAX_ROWS": "200",
        "TANFANG_BATCH_MAX_MS": "20",
    }
    return [TanfangProcess("gateway", env, logs / f"gateway-{i}.log") for i in range(GATEWAYS)]


def prefix_of(gateways: list[TanfangProcess]) -> str:
    return gateways[0].settings["TANFANG_MQTT_CLIENT_ID"]


async def start_in_order(gateways: list[TanfangProcess], database_url: str) -> None:
    """One after the other: gateway i takes slot gw-i (and the first makes the partitions)."""
    prefix = prefix_of(gateways)
    for started, process in enumerate(gateways, start=1):
        process.start()
        await poll(
            lambda: _ingesting(database_url, prefix),
            lambda n, started=started: n == started,  # type: ignore[misc]
            deadline_s=60,
            what=f"{started} gateways ingesting ({process.log})",
        )


async def _ingesting(url: str, prefix: str) -> int:
    return int(
        await scalar(
            url,
            "SELECT count(*) FROM gateway_heartbeats WHERE client_id LIKE %s AND ingesting",
            (f"{prefix}-gw-%",),
        )
    )


async def stored(url: str) -> int:
    return int(await scalar(url, "SELECT count(*) FROM events WHERE seq IS NOT NULL"))


def _message(root: str, n: int) -> tuple[str, bytes]:
    kind = "sos" if n % SOS_EVERY == SOS_EVERY // 2 else "motion"
    body = {"seq": n, "kind": kind, "ts": time.time()}
    return f"{root}/dev/{DEVICES[n % len(DEVICES)]}/events", orjson.dumps(body)


def _publish_paced(publisher: Publisher, root: str) -> None:
    infos = []
    start = time.monotonic()
    for n in range(EVENTS):
        ahead = start + n / RATE - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)  # pacing the stream, not waiting for a condition
        topic, body = _message(root, n)
        infos.append(publisher.publish(topic, body, wait=False))
    for info in infos:
        info.wait_for_publish(timeout=60)


@asynccontextmanager
async def paced_stream(mqtt_url: str, topic_root: str) -> AsyncIterator[None]:
    """The stream published from a thread while the block runs; all of it sent at the end."""
    publisher = Publisher(mqtt_url)
    publisher.connect()
    sender = threading.Thread(
        target=_publish_paced, args=(publisher, topic_root), name="slots-publisher"
    )
    sender.start()
    try:
        yield
    finally:
        await asyncio.to_thread(sender.join, 120)
        publisher.close()


async def sos_delays(url: str, after: float) -> list[tuple[float, bool]]:
    """Each SOS's publish → receive delay, oldest first, and whether it was published after
    ``after`` (epoch seconds)."""
    rows = await fetch(
        url,
        "SELECT extract(epoch FROM received_at - ts)::float8,"
        " extract(epoch FROM ts)::float8 > %s FROM events WHERE kind = 'sos' ORDER BY 1",
        (after,),
    )
    return [(float(d), bool(late)) for d, late in rows]


async def sos_excess(url: str) -> float:
    """The most an SOS waited beyond the events published within half a second of it
    (the 10th percentile of their publish → receive delays: the live gateways' lag, as
    at least a third of them went to a live gateway): what a dead gateway's session added,
    apart from the stream's own lag, which a machine short of CPU makes long for SOS and
    motion alike."""
    return float(
        await scalar(
            url,
            "SELECT max(s.delay - n.delay) FROM"
            " (SELECT ts, extract(epoch FROM received_at - ts) AS delay FROM events"
            "  WHERE kind = 'sos') AS s"
            " CROSS JOIN LATERAL (SELECT percentile_cont(0.1) WITHIN GROUP"
            "  (ORDER BY extract(epoch FROM e.received_at - e.ts)) AS delay FROM events AS e"
            "  WHERE e.ts BETWEEN s.ts - interval '0.5 s' AND s.ts + interval '0.5 s') AS n",
        )
    )


def slot_key(prefix: str) -> int:
    """The first key of the slot locks of the deployment ``prefix``."""
    return SlotNames(prefix, GATEWAYS).key


async def slot_holders(url: str, prefix: str) -> dict[int, int]:
    """Slot → the OS pid of the gateway whose keeper holds its lock now."""
    rows = await fetch(
        url,
        "SELECT l.objid::int, a.application_name FROM pg_locks l"
        " JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
        " AND l.classid = (%s::bigint & 4294967295)::oid",
        (slot_key(prefix),),
    )
    return {slot: int(name.rsplit(" ", 1)[1]) for slot, name in rows}


def log_lines(process: TanfangProcess, text: str) -> list[str]:
    try:
        return [line for line in process.log.read_text().splitlines() if text in line]
    except FileNotFoundError:
        return []
