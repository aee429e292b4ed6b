"""The system alert gateway_outage: raised when every gateway has been silent 60 s, about
no elder, high; cleared when one gateway ingests again; a starting gateway is not an
outage, a gateway that never ingests is one after a minute."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alerting.gateway_outage import GATEWAY_SILENT_S, outage, sweep_gateway_outage
from alerting.models import Change
from alerting.outage_watch import watch_gateways
from store.db import Conn
from store.pool import Pool
from tests.gateway.helpers import poll

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)
SILENT = timedelta(seconds=GATEWAY_SILENT_S)


def test_an_outage_is_every_gateway_silent_for_a_minute() -> None:
    assert outage([T0 - SILENT, T0 - 2 * SILENT], T0)
    assert not outage([T0 - SILENT, T0 - timedelta(seconds=59)], T0)


def test_no_gateway_ever_run_is_no_outage() -> None:
    assert not outage([], T0)


async def beat(
    conn: Conn, client_id: str, *, first: datetime, ingesting_at: datetime | None
) -> None:
    await conn.execute(
        "INSERT INTO gateway_heartbeats (client_id, first_seen_at, started_at, seen_at,"
        " ingesting, ingesting_at) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (client_id) DO UPDATE SET ingesting_at = EXCLUDED.ingesting_at",
        (client_id, first, first, ingesting_at or first, ingesting_at is not None, ingesting_at),
    )


async def outage_alerts(conn: Conn) -> list[tuple[object, ...]]:
    cur = await conn.execute(
        "SELECT type, severity, elder_id, device_id, status, outcome FROM alerts"
        " WHERE type = 'gateway_outage' ORDER BY id"
    )
    return await cur.fetchall()


async def test_every_gateway_silent_a_minute_opens_a_high_system_alert_and_one_back_clears_it(
    conn: Conn,
) -> None:
    await beat(conn, "gw-a", first=T0 - timedelta(hours=1), ingesting_at=T0 - SILENT)
    await beat(conn, "gw-b", first=T0 - timedelta(hours=1), ingesting_at=T0 - 3 * SILENT)
    assert await sweep_gateway_outage(conn, T0) is Change.OPENED
    assert await outage_alerts(conn) == [("gateway_outage", "high", None, None, "open", None)]
    assert await sweep_gateway_outage(conn, T0 + timedelta(seconds=5)) is Change.REFRESHED
    assert len(await outage_alerts(conn)) == 1  # one alert while it lasts
    back = T0 + timedelta(seconds=10)
    await beat(conn, "gw-b", first=T0 - timedelta(hours=1), ingesting_at=back)
    assert await sweep_gateway_outage(conn, back) is None
    assert await outage_alerts(conn) == [
        ("gateway_outage", "high", None, None, "resolved", "other")
    ]
    cur = await conn.execute(
        "SELECT t.kind, t.detail ->> 'reason' FROM alert_timeline t"
        " JOIN alerts a ON a.id = t.alert_id WHERE a.type = 'gateway_outage' ORDER BY t.id"
    )
    assert await cur.fetchall() == [("opened", None), ("cleared", "gateway back")]


async def test_a_gateway_that_never_ingests_is_an_outage_a_minute_after_its_first_beat(
    conn: Conn,
) -> None:
    await beat(conn, "gw-a", first=T0, ingesting_at=None)
    assert await sweep_gateway_outage(conn, T0 + timedelta(seconds=30)) is None
    assert await sweep_gateway_outage(conn, T0 + SILENT) is Change.OPENED


async def test_a_process_without_a_gateway_watches_the_gateways_too(conn: Conn, pool: Pool) -> None:
    await beat(conn, "gw-a", first=T0 - timedelta(hours=1), ingesting_at=T0 - 2 * SILENT)
    stop = asyncio.Event()
    watching = asyncio.create_task(watch_gateways(pool, stop, clock=lambda: T0, every_s=0.05))
    try:
        await poll(lambda: outage_alerts(conn), bool, what="gateway_outage")
    finally:
        stop.set()
        await asyncio.wait_for(watching, timeout=5)
    assert await outage_alerts(conn) == [("gateway_outage", "high", None, None, "open", None)]
