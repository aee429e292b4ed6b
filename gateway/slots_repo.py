"""SQL of the gateway slots: session-level advisory locks, two int4 keys (the deployment's
key, the slot's number), held by a slot keeper's dedicated connection (``gateway.slots``)."""

from __future__ import annotations

from typing import Final

from store.db import Conn, fetch_row, fetch_rows

# pg_locks shows a two-key advisory lock as classid, objid with objsubid 2.
_HELD: Final = (
    "SELECT l.classid::bigint AS key, l.objid::bigint AS slot FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
    " AND l.classid = ANY(ARRAY[%(key)s::bigint & 4294967295, %(other)s::bigint & 4294967295])"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


async def try_claim(conn: Conn, key: int, slot: int) -> bool:
    """Take the slot's lock for this connection's session; False when another holds it."""
    row = await fetch_row(conn, "SELECT pg_try_advisory_lock(%s::int, %s::int) AS got", (key, slot))
    return bool(row and row["got"])


async def release(conn: Conn, key: int, slot: int) -> None:
    await conn.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", (key, slot))


async def held(conn: Conn, key: int, other: int) -> tuple[frozenset[int], frozenset[int]]:
    """The slots whose lock under ``key``, and those whose lock under ``other``, some
    session holds now (this one's included)."""
    rows = await fetch_rows(conn, _HELD, {"key": key, "other": other})
    oid = key & 0xFFFFFFFF
    return (
        frozenset(int(row["slot"]) for row in rows if row["key"] == oid),
        frozenset(int(row["slot"]) for row in rows if row["key"] != oid),
    )
