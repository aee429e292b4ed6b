"""What TimescaleDB does by itself and plain PostgreSQL needs the gateway for: the retention
of raw events and the hourly activity rollup (migration 0048, docs/deploy.md).

Retention on TimescaleDB is a policy (``add_retention_policy``) applied again at every start
from the setting, so a changed ``TANFANG_EVENT_RETENTION_DAYS`` takes effect; on plain
PostgreSQL ``store.partitions.drop_expired`` drops whole days. The rollup is a continuous
aggregate refreshed by its own policy on TimescaleDB, and a table recounted here on plain
PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from store.db import Conn
from store.features import Features


async def apply_retention_policy(conn: Conn, features: Features, retention_days: int) -> bool:
    """TimescaleDB: drop event chunks older than ``retention_days`` by a policy (replacing
    the one in force). False on plain PostgreSQL, where upkeep drops partitions instead."""
    if not features.timescale:
        return False
    async with conn.transaction():
        await conn.execute("SELECT remove_retention_policy('events', if_exists => true)")
        await conn.execute(
            "SELECT add_retention_policy('events', drop_after => %s::interval)",
            (timedelta(days=retention_days),),
        )
    return True


async def roll_up_activity(conn: Conn, features: Features) -> int:
    """Plain PostgreSQL: recount the hours of ``activity_hourly`` that events touched since
    the last call (late ones too); return how many (elder, hour)s. Nothing on TimescaleDB,
    whose refresh policy does it."""
    if features.timescale:
        return 0
    # Two transactions: the marks that writers may be waiting on are moved out at once;
    # the recount, however long, holds nothing a writer needs.
    async with conn.transaction():
        await conn.execute("SELECT activity_take_dirty()")
    async with conn.transaction():
        cur = await conn.execute("SELECT activity_rollup()")
        row = await cur.fetchone()
    return int(row[0]) if row is not None else 0
