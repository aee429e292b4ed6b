from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg

from store.features import detect
from store.migrate import available, migrate_url
from store.partitions import ensure_partitions, partition_name


async def test_migrations_build_an_empty_database_then_do_nothing(empty_database_url: str) -> None:
    applied = await migrate_url(empty_database_url)
    async with await psycopg.AsyncConnection.connect(empty_database_url) as conn:
        features = await detect(conn)
        expected = [m.version for m in available(features)]
        assert applied == expected
        cur = await conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in await cur.fetchall()] == expected
    assert await migrate_url(empty_database_url) == []


async def test_migrations_on_a_current_database_change_nothing(database_url: str) -> None:
    assert await migrate_url(database_url) == []


async def test_events_land_in_their_day_partition_even_when_made_late(database_url: str) -> None:
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO events (device_id, ts, kind, received_at) VALUES ('d1', %s, 'motion', %s)",
            (now, now),
        )
        features = await detect(conn)
        created = await ensure_partitions(conn, features, now, days_ahead=2)
        assert partition_name(now.date()) in created
        cur = await conn.execute("SELECT tableoid::regclass::text FROM events")
        assert await cur.fetchall() == [(partition_name(now.date()),)]
        assert await ensure_partitions(conn, features, now, days_ahead=2) == []


async def test_gateways_starting_together_create_each_partition_once(database_url: str) -> None:
    """Concurrent CREATE TABLE IF NOT EXISTS of one name fails the second on the catalog
    (SQLSTATE 23505): three gateways started at once, one stopped on it."""
    now = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # days no partition covers yet

    async def ensure() -> list[str]:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            return await ensure_partitions(conn, await detect(conn), now, days_ahead=3)

    made = await asyncio.gather(*(ensure() for _ in range(4)))
    created = [name for names in made for name in names]
    assert sorted(created) == sorted(set(created)), "a partition created twice"
    assert partition_name(now.date()) in created
