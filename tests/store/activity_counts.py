"""The hourly counts of one elder read two ways: from ``activity_hourly`` and through the
API's timeline query (``care.activity_repo.slot_counts``), keyed by hour since ``since``."""

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
