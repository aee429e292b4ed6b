"""The health loop on an injected clock and the real database: it writes this gateway's
heartbeat, and its sweep raises gateway_outage when no gateway has ingested for a minute —
this one included, alive but cut off — and clears it when ingest works again; while our
ingest is down (or dropped between two looks) no device is blamed for silence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from alerting.gateway_outage import HEALTH_LEASE
from gateway import health_loop, metrics
from gateway.health_loop import HealthLoop, IngestState
from store.pool import Pool
from tests.gateway.helpers import execute, fetch, register

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Ingest:
    def __init__(self) -> None:
        self.state = IngestState(working=False, connections=0)

    def __call__(self) -> IngestState:
        return self.state


async def alerts(url: str) -> list[tuple[object, ...]]:
    return await fetch(url, "SELECT type, severity, device_id, status FROM alerts ORDER BY id")


async def test_a_live_gateway_cut_off_for_a_minute_raises_gateway_outage_and_clears_it(
    pool: Pool, database_url: str
) -> None:
    clock, ingest = Clock(), Ingest()
    loop = HealthLoop(pool, "gw-test", ingest, clock=clock)
    # Another gateway, silent for long.
    await execute(
        database_url,
        "INSERT INTO gateway_heartbeats VALUES ('gw-old', %s, %s, %s, false, %s)",
        (T0 - timedelta(days=1),) * 4,
    )
    await loop.once()
    assert await alerts(database_url) == []  # this gateway only just began
    clock.now = T0 + timedelta(seconds=61)
    await loop.once()
    assert await alerts(database_url) == [("gateway_outage", "high", None, "open")]
    clock.now += timedelta(seconds=5)
    ingest.state = IngestState(working=True, connections=1)
    await loop.once()
    assert await alerts(database_url) == [("gateway_outage", "high", None, "resolved")]
    beats = await fetch(
        database_url,
        "SELECT client_id, ingesting, ingesting_at FROM gateway_heartbeats ORDER BY client_id",
    )
    assert beats == [("gw-old", False, T0 - timedelta(days=1)), ("gw-test", True, clock.now)]


async def test_a_drop_between_two_looks_restarts_the_devices_clocks(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["pir-1"])
    await execute(
        database_url,
        "UPDATE devices SET heartbeat_interval_s = 60, last_seen = %s, online = true",
        (T0 - timedelta(hours=1),),
    )
    clock, ingest = Clock(), Ingest()
    ingest.state = IngestState(working=True, connections=1)
    loop = HealthLoop(pool, "gw-test", ingest, clock=clock)
    clock.now = T0 + timedelta(seconds=121)  # two heartbeats since the loop began
    ingest.state = IngestState(working=True, connections=1)
    await loop.once()
    assert [row[0] for row in await alerts(database_url)] == ["device_offline"]
    await execute(database_url, "DELETE FROM alerts", ())
    # The session dropped and came back between two looks: our gap, not the device's.
    ingest.state = IngestState(working=True, connections=2)
    clock.now += timedelta(seconds=5)
    await loop.once()
    clock.now += timedelta(seconds=119)
    await loop.once()
    assert await alerts(database_url) == []
    clock.now += timedelta(seconds=2)
    await loop.once()
    assert [row[0] for row in await alerts(database_url)] == ["device_offline"]


async def test_two_gateways_sweeping_at_once_open_one_alert(pool: Pool, database_url: str) -> None:
    await register(database_url, ["pir-1"])
    await execute(
        database_url,
        "UPDATE devices SET heartbeat_interval_s = 60, last_seen = %s, online = true",
        (T0 - timedelta(hours=1),),
    )
    clock = Clock()
    working = Ingest()
    working.state = IngestState(working=True, connections=1)
    loops = [HealthLoop(pool, f"gw-{n}", working, clock=clock) for n in "ab"]
    clock.now = T0 + timedelta(seconds=121)
    for _ in range(3):
        await asyncio.gather(*(loop.once() for loop in loops))
    assert await alerts(database_url) == [("device_offline", "low", "pir-1", "open")]


async def test_a_mass_outage_opens_its_alerts_over_several_sweeps_emergency_devices_first(
    pool: Pool, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_loop, "MAX_OPENS_PER_SWEEP", 1)
    await register(database_url, ["pir-1"])
    await register(database_url, ["pat-1"], device_type="sos_button")
    await execute(
        database_url,
        "UPDATE devices SET heartbeat_interval_s = 60, last_seen = %s, online = true",
        (T0 - timedelta(hours=1),),
    )
    clock, working = Clock(), Ingest()
    working.state = IngestState(working=True, connections=1)
    loop = HealthLoop(pool, "gw-test", working, clock=clock)
    clock.now = T0 + timedelta(seconds=121)
    await loop.once()
    assert await alerts(database_url) == [("device_offline", "high", "pat-1", "open")]
    await loop.once()
    assert [row[2] for row in await alerts(database_url)] == ["pat-1", "pir-1"]


async def test_every_gateway_exports_the_heartbeat_age_even_when_another_holds_the_lease(
    pool: Pool, database_url: str
) -> None:
    clock, working = Clock(), Ingest()
    working.state = IngestState(working=True, connections=1)
    loop = HealthLoop(pool, "gw-test", working, clock=clock)
    async with pool.connection() as holder, holder.transaction():
        await holder.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (HEALTH_LEASE,))
        await loop.once()
        clock.now += timedelta(seconds=7)
        metrics.GATEWAY_HEARTBEAT_AGE.set(123)
        await loop.once()
    assert REGISTRY.get_sample_value("tanfang_gateway_heartbeat_age_seconds") == 0.0
