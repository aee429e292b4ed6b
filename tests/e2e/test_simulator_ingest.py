"""End to end: simulated homes publish live to the real broker and the gateway stores it."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime

import psycopg
import pytest

from simulators.clock import TZ
from simulators.live import run_live
from simulators.world import World, build_world
from tanfang.settings import Settings

service = pytest.importorskip("gateway.service")

DEADLINE_S = 30.0


async def _register(url: str, world: World) -> None:
    """Elders and devices written straight to the tables: the API is not under test here."""
    doc = world.homes_json()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for elder in doc["elders"]:
            await conn.execute(
                "INSERT INTO elders (id, name) VALUES (%s, %s)", (elder["id"], elder["name"])
            )
        for d in doc["devices"]:
            await conn.execute(
                "INSERT INTO devices (id, type, elder_id, room, heartbeat_interval_s)"
                " VALUES (%s, %s, %s, %s, %s)",
                (d["id"], d["type"], d["elder_id"], d["room"], d["heartbeat_interval_s"]),
            )


async def _count(url: str) -> tuple[int, int]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*), count(DISTINCT device_id) FROM events")
        row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def test_simulated_homes_published_live_are_stored_by_the_gateway(settings: Settings) -> None:
    speed, wall_s = 1800.0, 2.0
    # Simulated time ends about now, so the gateway sees no clock skew.
    start = datetime.fromtimestamp(time.time() - speed * wall_s, TZ)
    world = build_world(3, 12, start)
    assert settings.database_url is not None
    assert settings.mqtt_url is not None
    await _register(settings.database_url, world)
    gateway = service.Gateway(settings.model_copy(update={"batch_max_ms": 20}))
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(gateway.run(stop, ready), name="e2e-gateway")
    try:
        await asyncio.wait_for(ready.wait(), DEADLINE_S)
        tap = io.StringIO()
        stats = await asyncio.to_thread(
            run_live,
            world,
            mqtt_url=settings.mqtt_url,
            topic_root=settings.topic_root,
            protocol=settings.mqtt_protocol,
            speed=speed,
            duration_s=wall_s,
            start=start,
            incident_rate=0.0,
            tap=tap,
        )
        assert stats.events > 10
        end = time.monotonic() + DEADLINE_S
        while (found := await _count(settings.database_url))[0] < stats.events:
            assert time.monotonic() < end, f"stored {found[0]} of {stats.events} events"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE_S)
    assert found[0] == stats.events, "each event stored once"
    assert found[1] == len(
        {line.split('"')[3] for line in tap.getvalue().splitlines() if '"event"' in line}
    )
