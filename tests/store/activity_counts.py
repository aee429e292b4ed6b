"""The hourly counts of one elder read three ways: from ``activity_hourly``, through the
API's timeline query (``care.activity_repo.slot_counts``: the rollup for whole past hours,
the events for the rest) and straight from the raw events, keyed by hour since ``since``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from care.activity import Window
from care.activity_repo import slot_counts

HOUR = timedelta(hours=1)


async def timeline_hours(
    conn: psycopg.AsyncConnection[Any], elder_id: str, since: datetime, hours: int
) -> dict[int, int]:
    window = Window(until=since + hours * HOUR, hours=hours, slot_minutes=60)
    return {c.slot: c.events for c in await slot_counts(conn, elder_id, window)}


async def rollup_hours(
    conn: psycopg.AsyncConnection[Any], elder_id: str, since: datetime
) -> dict[int, int]:
    cur = await conn.execute(
        "SELECT hour, sum(events)::int FROM activity_hourly WHERE elder_id = %s GROUP BY hour",
        (elder_id,),
    )
    return {int((hour - since) / HOUR): n for hour, n in await cur.fetchall()}


async def raw_hours(
    conn: psycopg.AsyncConnection[Any], elder_id: str, since: datetime
) -> dict[int, int]:
    """Activity events per hour counted from ``events`` alone: what the others must equal."""
    cur = await conn.execute(
        "SELECT date_trunc('hour', ts, 'UTC'), count(*)::int FROM events"
        " WHERE elder_id = %s AND kind IN ('motion', 'door', 'bed', 'chair', 'water', 'checkin')"
        " AND NOT (kind = 'water' AND value IS NOT DISTINCT FROM 0) GROUP BY 1",
        (elder_id,),
    )
    return {int((hour - since) / HOUR): n for hour, n in await cur.fetchall()}
