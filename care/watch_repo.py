"""SQL of heightened-watch periods. Callers own the transaction."""

from __future__ import annotations

from datetime import date
from typing import Final

from psycopg import sql

from care.watch import WatchPeriodCreate, WatchPeriodPublic
from store.db import Conn, fetch_all, fetch_one

_COLUMNS: Final = sql.SQL(
    "id, town, starts_on, ends_on, reason, min_visits_per_week, created_by, created_at"
)
_INSERT: Final = sql.SQL(
    "INSERT INTO watch_periods (town, starts_on, ends_on, reason, min_visits_per_week,"
    " created_by) VALUES (%s, %s, %s, %s, %s, %s) RETURNING {}"
).format(_COLUMNS)
_TOUCHING: Final = sql.SQL(
    "SELECT {} FROM watch_periods"
    " WHERE starts_on <= %(last)s AND ends_on >= %(first)s"
    " AND (%(every)s OR town IS NULL OR town = %(town)s)"
    " ORDER BY starts_on, id"
).format(_COLUMNS)


async def add_period(conn: Conn, period: WatchPeriodCreate, created_by: str) -> WatchPeriodPublic:
    values = (
        period.town,
        period.starts_on,
        period.ends_on,
        period.reason,
        period.min_visits_per_week,
        created_by,
    )
    stored = await fetch_one(conn, _INSERT, values, WatchPeriodPublic)
    assert stored is not None
    return stored


async def periods_touching(
    conn: Conn, first: date, last: date, town: str | None, *, every_town: bool = False
) -> list[WatchPeriodPublic]:
    """Periods overlapping [first, last] that apply to ``town`` (those of all towns
    included); with ``every_town``, the periods of every town."""
    params = {"first": first, "last": last, "town": town, "every": every_town}
    return await fetch_all(conn, _TOUCHING, params, WatchPeriodPublic)
