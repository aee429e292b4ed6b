"""Daily event partitions on plain PostgreSQL, made ahead so an insert never waits for one.

Days are UTC days: partitions are a storage detail, not the calendar of the care domain.
On TimescaleDB the hypertable makes its own chunks and this module does nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from psycopg import sql

from store.db import Conn
from store.features import Features

log = logging.getLogger(__name__)

# Events older than this are stored with their receive time (clock skew), so no partition
# further back is ever written to by the gateway.
DAYS_BACK = 8


def partition_name(day: date) -> str:
    return f"events_p{day:%Y%m%d}"


def days_to_cover(now: datetime, days_ahead: int) -> list[date]:
    today = now.astimezone(UTC).date()
    return [today + timedelta(days=d) for d in range(-DAYS_BACK, days_ahead + 1)]


async def ensure_partitions(
    conn: Conn, features: Features, now: datetime, days_ahead: int
) -> list[str]:
    """Create the missing daily partitions around ``now``; return the names created."""
    if features.timescale:
        return []
    cur = await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass"
    )
    existing = {row[0] for row in await cur.fetchall()}
    created: list[str] = []
    for day in days_to_cover(now, days_ahead):
        name = partition_name(day)
        if name not in existing:
            await _create_partition(conn, day)
            created.append(name)
    return created


async def _create_partition(conn: Conn, day: date) -> None:
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    name = sql.Identifier(partition_name(day))
    bounds = (start, end)
    async with conn.transaction():
        # Rows that landed in the default partition for this day move into the new one;
        # ATTACH refuses while the default still holds any of them.
        await conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (LIKE events INCLUDING DEFAULTS)").format(name)
        )
        await conn.execute(
            sql.SQL(
                "WITH moved AS (DELETE FROM events_default WHERE ts >= %s AND ts < %s RETURNING *)"
                " INSERT INTO {} SELECT * FROM moved"
            ).format(name),
            bounds,
        )
        await conn.execute(
            sql.SQL("ALTER TABLE events ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
                name, sql.Literal(start), sql.Literal(end)
            )
        )
    log.info("created event partition for %s", day.isoformat())


async def drop_expired(
    conn: Conn, features: Features, now: datetime, retention_days: int
) -> list[str]:
    """Drop daily partitions wholly older than the retention period."""
    if features.timescale:
        await conn.execute(
            "SELECT drop_chunks('events', older_than => %s::timestamptz)",
            (now - timedelta(days=retention_days),),
        )
        return []
    cutoff = (now.astimezone(UTC) - timedelta(days=retention_days)).date()
    cur = await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'"
    )
    dropped: list[str] = []
    for (relname,) in await cur.fetchall():
        day = datetime.strptime(relname[len("events_p") :], "%Y%m%d").date()
        if day < cutoff:
            await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(relname)))
            dropped.append(relname)
    return dropped
