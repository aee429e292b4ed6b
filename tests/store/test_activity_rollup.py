"""The hourly activity rollup on plain PostgreSQL (kept by the gateway's upkeep) and the
retention of raw events by whole days; tests/store/test_timescale_mode.py covers TimescaleDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from gateway.upkeep import Upkeep
from store.features import detect
from store.partitions import ensure_partitions, partition_name
from store.pool import Pool
from store.retention import roll_up_activity
from tests.store.activity_counts import raw_hours, rollup_hours, timeline_hours

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
ROLLUP = (
    "SELECT elder_id, hour, device_id, kind, events FROM activity_hourly"
    " ORDER BY elder_id, hour, device_id, kind"
)


async def insert(
    conn: psycopg.AsyncConnection[Any], *rows: tuple[str, str, datetime, str, float | None]
) -> None:
    """Events as the gateway stores them: (elder, device, ts, kind, value), one statement."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO events (elder_id, device_id, ts, seq, kind, value, received_at)"
            " VALUES (%s, %s, %s, 1, %s, %s, now())",
            rows,
        )


async def rolled(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
    cur = await conn.execute(ROLLUP)
    return await cur.fetchall()


async def test_the_rollup_counts_a_persons_doings_per_hour_and_a_second_run_changes_nothing(
    database_url: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        features = await detect(conn)
        await insert(
            conn,
            ("e1", "pir-1", T0 + timedelta(minutes=5), "motion", 1.0),
            ("e1", "pir-1", T0 + timedelta(minutes=50), "motion", 1.0),
            ("e1", "pir-1", T0 + timedelta(minutes=70), "motion", 1.0),
            ("e1", "tap-1", T0 + timedelta(minutes=10), "water", 0.0),  # a meter's timer
            ("e1", "tap-1", T0 + timedelta(minutes=11), "water", 2.5),
            ("e1", "th-1", T0 + timedelta(minutes=12), "temperature", 21.0),
            ("e2", "door-2", T0 + timedelta(minutes=1), "door", 1.0),
        )
        assert await roll_up_activity(conn, features) == 3  # (e1, 6h), (e1, 7h), (e2, 6h)
        expected = [
            ("e1", T0, "pir-1", "motion", 2),
            ("e1", T0, "tap-1", "water", 1),
            ("e1", T0 + timedelta(hours=1), "pir-1", "motion", 1),
            ("e2", T0, "door-2", "door", 1),
        ]
        assert await rolled(conn) == expected
        assert await roll_up_activity(conn, features) == 0
        assert await rolled(conn) == expected


async def test_a_late_event_recounts_its_hour_and_only_that_hour(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        features = await detect(conn)
        await insert(
            conn,
            ("e1", "pir-1", T0 + timedelta(minutes=5), "motion", 1.0),
            ("e1", "pir-1", T0 + timedelta(hours=3), "motion", 1.0),
        )
        await roll_up_activity(conn, features)
        late = T0 + timedelta(minutes=40)  # stored hours after it happened (an outage)
        await insert(conn, ("e1", "pir-1", late, "motion", 1.0))
        assert await roll_up_activity(conn, features) == 1
        assert await rolled(conn) == [
            ("e1", T0, "pir-1", "motion", 2),
            ("e1", T0 + timedelta(hours=3), "pir-1", "motion", 1),
        ]


async def test_the_timeline_reads_the_rollup_for_past_hours_and_equals_the_raw_counts(
    database_url: str,
) -> None:
    """Summed over an elder's devices, the timeline's hourly counts are the raw counts: past
    hours from the rollup, the last hour and hours not recounted yet from the events."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        features = await detect(conn)
        await insert(
            conn,
            *[
                ("e1", f"pir-{i % 3}", T0 + timedelta(minutes=7 * i), "motion", 1.0)
                for i in range(40)
            ],
            ("e1", "tap-1", T0 + timedelta(minutes=10), "water", 0.0),
            ("e1", "th-1", T0 + timedelta(minutes=12), "temperature", 21.0),
        )
        await roll_up_activity(conn, features)
        timeline = await timeline_hours(conn, "e1", T0, 6)
        assert timeline == await raw_hours(conn, "e1", T0) == await rollup_hours(conn, "e1", T0)
        assert sum(timeline.values()) == 40
        # Stored after the last rollup, late into a past hour and into a new one: counted
        # from the events until the next rollup, and the same after it.
        await insert(
            conn,
            ("e1", "pir-1", T0 + timedelta(minutes=30), "motion", 1.0),
            ("e1", "pir-1", T0 + timedelta(hours=4, minutes=50), "motion", 1.0),
        )
        raw = await raw_hours(conn, "e1", T0)
        assert await timeline_hours(conn, "e1", T0, 6) == raw
        await roll_up_activity(conn, features)
        assert await timeline_hours(conn, "e1", T0, 6) == raw
        # The past hours are the rollup's: a (tampered) rollup row shows; the last hour
        # (T0 + 5 h, still filling when the window ends) is read from the events.
        await conn.execute(
            "UPDATE activity_hourly SET events = events + 100"
            " WHERE hour = %s AND device_id = 'pir-0'",
            (T0,),
        )
        await insert(conn, ("e1", "pir-1", T0 + timedelta(hours=5, minutes=1), "motion", 1.0))
        await conn.execute("DELETE FROM activity_dirty")  # as if rolled up: the row above
        read = await timeline_hours(conn, "e1", T0, 6)
        assert read[0] == raw[0] + 100
        assert read[5] == raw.get(5, 0) + 1


async def test_upkeep_keeps_the_rollup_and_drops_days_past_retention(
    pool: Pool, database_url: str
) -> None:
    now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    old = now - timedelta(days=40)
    async with pool.connection() as conn:
        features = await detect(conn)
        await ensure_partitions(conn, features, old, days_ahead=0)
        await ensure_partitions(conn, features, now, days_ahead=0)
        await conn.execute(
            "INSERT INTO events (elder_id, device_id, ts, seq, kind, received_at)"
            " VALUES ('e1', 'pir-1', %s, 1, 'motion', %s), ('e1', 'pir-1', %s, 1, 'motion', %s)",
            (old, old, now, now),
        )
    upkeep = Upkeep(pool, features, days_ahead=1, retention_days=30, clock=lambda: now)
    await upkeep.start()
    await upkeep.once()
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute("SELECT ts FROM events ORDER BY ts")
        assert await cur.fetchall() == [(now,)]
        cur = await conn.execute("SELECT to_regclass(%s)", (partition_name(old.date()),))
        assert await cur.fetchone() == (None,)
        # The rollup outlives the raw events: the baselines read a year and more of it.
        cur = await conn.execute("SELECT hour, events FROM activity_hourly ORDER BY hour")
        assert await cur.fetchall() == [(old, 1), (now, 1)]


async def test_ingest_never_waits_for_a_recount_in_progress(database_url: str) -> None:
    """The recount may take long; the writers' marks of the hours they touch must not wait
    for it (nor for a second upkeep's take, which skips while a recount runs)."""
    async with (
        await psycopg.AsyncConnection.connect(database_url, autocommit=True) as writer,
        await psycopg.AsyncConnection.connect(database_url) as upkeep,
        await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other,
    ):
        features = await detect(writer)
        await insert(writer, ("e1", "pir-1", T0 + timedelta(minutes=5), "motion", 1.0))
        async with upkeep.transaction():
            await upkeep.execute("SELECT activity_take_dirty()")
        await upkeep.execute("SELECT activity_rollup()")  # its transaction stays open
        # The same hour and a new one marked again while the recount holds its locks.
        await asyncio.wait_for(
            insert(
                writer,
                ("e1", "pir-1", T0 + timedelta(minutes=6), "motion", 1.0),
                ("e1", "pir-1", T0 + timedelta(minutes=65), "motion", 1.0),
            ),
            timeout=5,
        )
        cur = await other.execute("SELECT activity_take_dirty()")
        assert await cur.fetchone() == (0,), "a take while a recount runs"
        await upkeep.commit()
        assert await roll_up_activity(writer, features) == 2
        assert [(row[1], row[4]) for row in await rolled(writer)] == [
            (T0, 2),
            (T0 + timedelta(hours=1), 1),
        ]
