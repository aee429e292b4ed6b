"""A notification asking for an ack is sent only while its alert is open, decided under a
lock that orders it against any ack (``repo.open_for_sending``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg

from alerting import repo
from alerting.models import AlertSignal, AlertType, EventKey
from alerting.services import open_alert
from store.db import Conn
from tests.alerting.conftest import add_home
from tests.gateway.helpers import poll

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


async def _check(url: str, alert_id: int) -> bool:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await repo.open_for_sending(conn, alert_id)


async def _waiting_on_locks(conn: Conn) -> int:
    cur = await conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    row = await cur.fetchone()
    return 0 if row is None else int(row[0])


async def test_a_send_decided_during_an_ack_waits_for_it_and_does_not_go(
    conn: Conn, database_url: str
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    signal = AlertSignal(AlertType.SOS, "KP-1", "pat-1", event=EventKey("pat-1", T0, "sos"))
    alert = (await open_alert(conn, signal, T0)).alert
    assert await _check(database_url, alert.id), "an open alert's notification goes"
    async with await psycopg.AsyncConnection.connect(database_url) as acking:
        async with acking.transaction():
            assert await repo.acknowledge(acking, alert.id, "值班員", "operator", T0) is not None
            checking = asyncio.create_task(_check(database_url, alert.id))
            await poll(lambda: _waiting_on_locks(conn), lambda n: n == 1, what="the check waiting")
            assert not checking.done(), "the check did not wait for the ack in progress"
        assert await asyncio.wait_for(checking, timeout=10) is False
    assert await _check(database_url, alert.id) is False
