"""SQL of the alert change feed: how far the feed is final, the changes after a position,
and the followers' saved positions (migration 0044 says how the feed is kept in order)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from psycopg import sql

from alerting.models import Alert
from store.db import Conn, fetch_row, fetch_rows

# The advisory lock every id of alert_timeline is drawn under (two int4 keys: pg_locks shows
# them as classid, objid with objsubid 2); the same numbers as migration 0044's function.
WRITER_LOCK: Final = (1952542310, 1)

# Every stored column of an alert, taken from the model so that the two cannot drift.
_ALERT_COLUMNS: Final = sql.SQL(", ").join(sql.Identifier("a", name) for name in Alert.model_fields)

_WRITERS: Final = (
    "SELECT l.virtualtransaction AS vxid FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
    " AND l.classid = %(class)s::oid AND l.objid = %(obj)s::oid"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


async def last_change_id(conn: Conn) -> int:
    """The last id drawn for a change (0: none yet), committed or not: sequences are not
    transactional."""
    row = await fetch_row(
        conn,
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS last FROM alert_timeline_id_seq",
        (),
    )
    return 0 if row is None else int(row["last"])


async def change_writers(conn: Conn, among: Collection[str] | None = None) -> frozenset[str]:
    """The transactions (virtual ids) holding the writers' lock now: those that drew a change
    id and have not ended; ``among``: only those of this set."""
    params: dict[str, object] = {"class": WRITER_LOCK[0], "obj": WRITER_LOCK[1]}
    query: sql.SQL | sql.Composed = sql.SQL(_WRITERS)
    if among is not None:
        query += sql.SQL(" AND l.virtualtransaction = ANY(%(among)s)")
        params["among"] = list(among)
    return frozenset(str(row["vxid"]) for row in await fetch_rows(conn, query, params))


_CHANGES: Final = sql.SQL(
    "SELECT t.id AS change_id, t.kind AS change_kind, t.at AS change_at,"
    " coalesce(e.town, a.town) AS town, {columns}"
    " FROM alert_timeline t JOIN alerts a ON a.id = t.alert_id"
    " LEFT JOIN elders e ON e.id = a.elder_id"
    " WHERE t.id > %(after)s AND t.id <= %(upto)s ORDER BY t.id LIMIT %(limit)s"
).format(columns=_ALERT_COLUMNS)


@dataclass(frozen=True, slots=True)
class FeedChange:
    """One change of the feed: the timeline row's id and kind (``opened``, ``acked``,
    ``notified``, …) and time, the alert as it is when read, and its town: its elder's, or
    a town-level alert's own (None: a system alert, or an elder without a town)."""

    id: int
    change: str
    at: datetime
    alert: Alert
    town: str | None


async def changes(conn: Conn, *, after: int, upto: int, limit: int) -> list[FeedChange]:
    """The changes with ids in (``after``, ``upto``], oldest first, at most ``limit``."""
    rows = await fetch_rows(conn, _CHANGES, {"after": after, "upto": upto, "limit": limit})
    found = []
    for row in rows:
        change_id, kind, at = row.pop("change_id"), row.pop("change_kind"), row.pop("change_at")
        town = row.pop("town")
        found.append(FeedChange(change_id, kind, at, Alert.model_validate(row), town))
    return found


async def change_exists(conn: Conn, change_id: int) -> bool:
    row = await fetch_row(conn, "SELECT 1 AS found FROM alert_timeline WHERE id = %s", (change_id,))
    return row is not None


async def cursor(conn: Conn, name: str) -> int | None:
    """A follower's saved position (None: it never saved one)."""
    row = await fetch_row(conn, "SELECT position FROM alert_feed_cursors WHERE name = %s", (name,))
    return None if row is None else int(row["position"])


async def save_cursor(conn: Conn, name: str, position: int, now: datetime) -> None:
    """Save a follower's position; it never moves back (a slower process's late save)."""
    await conn.execute(
        "INSERT INTO alert_feed_cursors AS c (name, position, updated_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position,"
        " updated_at = EXCLUDED.updated_at WHERE c.position < EXCLUDED.position",
        (name, position, now),
    )
