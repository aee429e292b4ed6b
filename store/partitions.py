"""Daily event partitions on plain PostgreSQL, made ahead so an insert never waits for one.

Days are UTC days: partitions are a storage detail, not the calendar of the care domain.
On TimescaleDB the hypertable makes its own chunks and this module does nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from psycopg import sql

from store.db import Conn
from store.features import Features

log = logging.getLogger(__name__)

# Events older than this are stored with their receive time (clock skew), so no partition
# further back is ever written to by the gateway.
DAYS_BACK = 8


# One process at a time creates partitions ("tanfang" + 1; the migrations hold "tanfang").
_CREATE_LOCK_KEY: Final = 0x74616E66616E68


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
        if name not in existing and await _create_partition(conn, day):
            created.append(name)
    return created


async def _create_partition(conn: Conn, day: date) -> bool:
    """Create and attach the day's partition; False when another process did meanwhile.

    Several gateways start together: two concurrent ``CREATE TABLE IF NOT EXISTS`` of one
    name can both pass the check, and the second fails on the catalog's unique index
    (SQLSTATE 23505). One creator at a time (a transaction-level advisory lock), and a
    partition found once the lock is held is left as it is."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    name = sql.Identifier(partition_name(day))
    bounds = (start, end)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK_KEY,))
        cur = await conn.execute("SELECT to_regclass(%s)", (partition_name(day),))
        found = await cur.fetchone()
        if found is not None and found[0] is not None:
            return False
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
    return True


async def drop_expired(
    conn: Conn, features: Features, now: datetime, retention_days: int
) -> list[str]:
    """Drop daily partitions wholly older than the retention period (plain PostgreSQL; on
    TimescaleDB the retention policy of ``store.retention`` drops chunks)."""
    if features.timescale:
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
