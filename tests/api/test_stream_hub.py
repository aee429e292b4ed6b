"""The live stream's hub on the real database: it hands each change to the streams that may
see it, cuts off a stream whose backlog is full, and ends every stream when closing."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from alerting.feed import Turn
from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from api.stream_hub import Ended, StreamEndedError, StreamHub, StreamsFullError
from store.pool import Pool
from tests.alerting.conftest import add_home

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


async def open_sos(database_url: str, elder_id: str, device_id: str, town: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_home(conn, elder_id, device_id, town=town)
        await open_alert(conn, AlertSignal(AlertType.SOS, elder_id, device_id), T0)


async def run_until_idle(hub: StreamHub) -> None:
    while await hub.turn() is Turn.MORE:
        pass


async def test_the_hub_hands_each_stream_the_changes_it_may_see(
    pool: Pool, database_url: str
) -> None:
    hub = StreamHub(pool, database_url)
    await run_until_idle(hub)
    own = hub.subscribe(lambda change: change.town == "赤坎鎮")
    every = hub.subscribe(lambda change: True)
    await open_sos(database_url, "KP-1", "pat-1", "赤坎鎮")
    await open_sos(database_url, "KP-2", "pat-2", "水口鎮")
    await run_until_idle(hub)
    mine = await own.next(0)
    assert mine is not None
    assert mine.alert.elder_id == "KP-1"
    assert await own.next(0) is None
    both = [await every.next(0), await every.next(0)]
    assert [c.alert.elder_id for c in both if c is not None] == ["KP-1", "KP-2"]


async def test_a_stream_whose_backlog_is_full_is_cut_off(pool: Pool, database_url: str) -> None:
    hub = StreamHub(pool, database_url, backlog=1)
    await run_until_idle(hub)
    slow = hub.subscribe(lambda change: True)
    await open_sos(database_url, "KP-1", "pat-1", "赤坎鎮")
    await open_sos(database_url, "KP-2", "pat-2", "赤坎鎮")
    await run_until_idle(hub)
    with pytest.raises(StreamEndedError) as ended:
        await slow.next(0)
    assert ended.value.reason is Ended.SLOW


async def test_closing_ends_every_stream_and_refuses_new_ones(
    pool: Pool, database_url: str
) -> None:
    hub = StreamHub(pool, database_url, max_streams=5)
    await run_until_idle(hub)
    open_one = hub.subscribe(lambda change: True)
    hub.close()
    with pytest.raises(StreamEndedError) as ended:
        await open_one.next(1)
    assert ended.value.reason is Ended.CLOSING
    with pytest.raises(StreamsFullError):
        hub.subscribe(lambda change: True)
