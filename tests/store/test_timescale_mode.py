"""Timescale mode, on PGlite-WASM with timescaledb (tests/rig/pglite.py): the migrations, the
compression, retention and refresh policies, the hourly activity aggregate and the API's
timeline query. Not covered here: the COPY ingest path (PGlite drops COPY FROM STDIN), the
policies' background jobs actually running, and speed."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from store.features import detect
from store.migrate import migrate
from store.retention import apply_retention_policy, roll_up_activity
from tests.rig.pglite import PGlite, start_pglite
from tests.store.activity_counts import raw_hours, rollup_hours, timeline_hours

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pglite() -> Iterator[PGlite]:
    if (shutil.which("node") is None or shutil.which("npm") is None) and os.geteuid() != 0:
        pytest.skip(
            "node and npm are missing (apt-get install nodejs npm): Timescale mode untested"
        )
    with start_pglite() as server:
        yield server


@pytest.fixture(scope="module")
async def conn(pglite: PGlite) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    # PGlite serves one connection at a time (a second one right after the first closes is
    # refused), and clients share its one backend session: no prepared statements.
    async with await psycopg.AsyncConnection.connect(
        pglite.url, autocommit=True, prepare_threshold=None
    ) as connection:
        yield connection


async def jobs(conn: psycopg.AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    cur = await conn.execute(
        "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs"
        " WHERE hypertable_name IS NOT NULL ORDER BY job_id"
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for proc, table, config in await cur.fetchall():
        found.setdefault(proc, []).append({"table": table, **config})
    return found


async def test_timescale_migrations_set_compression_and_refresh_and_upkeep_sets_retention(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    applied = await migrate(conn)
    assert 48 in applied
    features = await detect(conn)
    assert features.timescale
    cur = await conn.execute(
        "SELECT segmentby, orderby FROM timescaledb_information.hypertable_compression_settings"
        " WHERE hypertable = 'events'::regclass"
    )
    assert await cur.fetchall() == [("device_id", "ts DESC")]
    assert await apply_retention_policy(conn, features, 400)
    assert await apply_retention_policy(conn, features, 30)  # a changed setting replaces it
    found = await jobs(conn)
    assert [(j["table"], j["compress_after"]) for j in found["policy_compression"]] == [
        ("events", "7 days")
    ]
    assert [(j["table"], j["drop_after"]) for j in found["policy_retention"]] == [
        ("events", "30 days")
    ]
    refresh = found["policy_refresh_continuous_aggregate"]
    assert [(j["table"], j["start_offset"], j["end_offset"]) for j in refresh] == [
        ("activity_hourly", "9 days", "01:00:00")
    ]
    assert await roll_up_activity(conn, features) == 0  # the refresh policy's work here


async def test_the_hourly_aggregate_and_the_api_timeline_agree_before_and_after_compression(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    await migrate(conn)  # idempotent: the module's first test may have run it
    rows = [("e1", f"pir-{i % 3}", T0 + timedelta(minutes=7 * i), "motion", 1.0) for i in range(40)]
    rows += [
        ("e1", "tap-1", T0 + timedelta(minutes=10), "water", 0.0),  # a meter's timer
        ("e1", "tap-1", T0 + timedelta(minutes=11), "water", 2.5),
        ("e1", "th-1", T0 + timedelta(minutes=12), "temperature", 21.0),
    ]
    async with conn.cursor() as cur:  # plain INSERT: PGlite drops COPY
        await cur.executemany(
            "INSERT INTO events (elder_id, device_id, ts, seq, kind, value, received_at)"
            " VALUES (%s, %s, %s, 1, %s, %s, now())",
            rows,
        )
    await conn.execute("CALL refresh_continuous_aggregate('activity_hourly', NULL, NULL)")
    timeline = await timeline_hours(conn, "e1", T0, 6)
    rollup = await rollup_hours(conn, "e1", T0)
    assert rollup == timeline == await raw_hours(conn, "e1", T0)
    assert sum(rollup.values()) == 41  # 40 motions and the water that ran
    # The timeline's past hours are the aggregate's (a materialized hour as refreshed): an
    # event stored into one after the refresh shows at the next refresh.
    await conn.execute(
        "INSERT INTO events (elder_id, device_id, ts, seq, kind, value, received_at)"
        " VALUES ('e1', 'pir-9', %s, 1, 'motion', 1, now())",
        (T0 + timedelta(minutes=3),),
    )
    assert (await timeline_hours(conn, "e1", T0, 6))[0] == timeline[0]
    await conn.execute("CALL refresh_continuous_aggregate('activity_hourly', NULL, NULL)")
    timeline = await timeline_hours(conn, "e1", T0, 6)
    assert timeline == await raw_hours(conn, "e1", T0)
    await conn.execute("SELECT compress_chunk(c) FROM show_chunks('events') AS c")
    cur = await conn.execute(
        "SELECT count(*) FROM timescaledb_information.chunks"
        " WHERE hypertable_name = 'events' AND is_compressed"
    )
    assert await cur.fetchone() == (1,)
    assert await timeline_hours(conn, "e1", T0, 6) == timeline
