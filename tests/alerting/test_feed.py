"""The alert change feed on the real database: changes are read in id order, and a change
whose transaction commits after a later id's is waited for, never stepped over; only
transactions that write alert changes are waited for."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import psycopg
import pytest

from alerting import feed_repo, repo
from alerting.feed import FeedCursor, change_object, head
from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from store.db import Conn
from tests.alerting.conftest import add_home
from tests.gateway.helpers import poll

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)
PAGE = 100


@pytest.fixture
async def alert_id(conn: Conn) -> int:
    await add_home(conn, "KP-1", "pat-1")
    done = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
    return done.alert.id


@pytest.fixture
async def writer(database_url: str) -> AsyncIterator[Conn]:
    """A second session whose transaction the test commits or rolls back."""
    async with await psycopg.AsyncConnection.connect(database_url) as c:
        yield c


async def timeline_id(conn: Conn, alert_id: int, kind: str) -> int:
    await repo.add_timeline(conn, alert_id, kind, T0)
    cur = await conn.execute("SELECT lastval()")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def read_all(cursor: FeedCursor, conn: Conn) -> tuple[list[int], bool]:
    """Read until nothing moves: the ids handed on, and whether new ids are held back."""
    ids: list[int] = []
    while True:
        batch = await cursor.read(conn, PAGE)
        ids += [change.id for change in batch.changes]
        if batch.position == cursor.position:
            return ids, batch.held
        cursor.advance(batch)


async def test_a_change_committed_after_a_later_one_is_waited_for_then_read_in_order(
    conn: Conn, writer: Conn, alert_id: int
) -> None:
    cursor = FeedCursor(await head(conn))
    early = await timeline_id(writer, alert_id, "acked")  # drawn first, not committed
    late = await timeline_id(conn, alert_id, "notified")  # drawn later, committed at once
    assert early < late

    ids, held = await read_all(cursor, conn)
    assert (ids, held) == ([], True), "a later id must not pass an open earlier one"

    await writer.commit()
    ids, held = await read_all(cursor, conn)
    assert (ids, held) == ([early, late], False)


async def test_a_rolled_back_change_is_gone_and_holds_nothing_back(
    conn: Conn, writer: Conn, alert_id: int
) -> None:
    cursor = FeedCursor(await head(conn))
    await timeline_id(writer, alert_id, "acked")
    kept = await timeline_id(conn, alert_id, "notified")
    await writer.rollback()
    assert await read_all(cursor, conn) == ([kept], False)


async def test_a_long_transaction_that_writes_no_alert_change_holds_nothing_back(
    conn: Conn, writer: Conn, alert_id: int
) -> None:
    cursor = FeedCursor(await head(conn))
    # An open transaction with an xid of its own (an import, a compression job).
    await writer.execute("INSERT INTO elders (id, name) VALUES ('KP-9', '李四')")
    change = await timeline_id(conn, alert_id, "acked")
    assert await read_all(cursor, conn) == ([change], False)
    await writer.rollback()


async def test_concurrent_writers_committing_in_any_order_lose_and_repeat_nothing(
    database_url: str, conn: Conn, alert_id: int
) -> None:
    cursor = FeedCursor(await head(conn))
    committed: list[int] = []
    rng = random.Random(12)

    async def write(n: int) -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as c:
            for i in range(8):
                await repo.add_timeline(c, alert_id, f"w{n}-{i}", T0)
                cur = await c.execute("SELECT lastval()")
                row = await cur.fetchone()
                assert row is not None
                # Jitter makes the commits interleave with the reader (not a wait).
                await asyncio.sleep(rng.random() * 0.01)
                if rng.random() < 0.2:
                    await c.rollback()
                else:
                    await c.commit()
                    committed.append(int(row[0]))

    read: list[int] = []

    async def reader(writers: asyncio.Future[list[None]]) -> None:
        while not writers.done():
            ids, _ = await read_all(cursor, conn)
            read.extend(ids)
            await asyncio.sleep(0.001)

    async def read_rest() -> bool:
        ids, held = await read_all(cursor, conn)
        read.extend(ids)
        return held

    writers = asyncio.gather(*(write(n) for n in range(8)))
    await asyncio.gather(writers, reader(writers))
    await poll(read_rest, lambda held: not held, what="every writer ended")
    assert read == sorted(read), "in id order"
    assert sorted(read) == sorted(committed), "every committed change once, no other"


async def test_a_change_carries_the_alert_object_and_the_elders_town(
    conn: Conn, alert_id: int
) -> None:
    found = await feed_repo.changes(conn, after=0, upto=await head(conn), limit=PAGE)
    assert [c.change for c in found] == ["opened"]
    payload = change_object(found[0])
    assert payload["change"] == "opened"
    assert payload["town"] == "赤坎鎮"
    assert payload["alert"]["id"] == str(alert_id)
    assert payload["alert"]["status"] == "open"
    assert payload["id"] == str(found[0].id)
