"""SQL of declared absences (``care.absences``)."""

from __future__ import annotations

from care.absences import Absence, AbsenceCreate
from store.db import Conn, fetch_all, fetch_one


async def add(conn: Conn, elder_id: str, absence: AbsenceCreate, by: str) -> Absence:
    found = await fetch_one(
        conn,
        "INSERT INTO elder_absences (elder_id, starts_at, ends_at, reason, created_by)"
        " VALUES (%s, %s, %s, %s, %s)"
        " RETURNING id, elder_id, starts_at, ends_at, reason, created_by, created_at",
        (elder_id, absence.starts_at, absence.ends_at, absence.reason, by),
        Absence,
    )
    assert found is not None  # INSERT … RETURNING returns its row
    return found


async def of_elder(conn: Conn, elder_id: str) -> list[Absence]:
    """The elder's absences, latest start first."""
    return await fetch_all(
        conn,
        "SELECT id, elder_id, starts_at, ends_at, reason, created_by, created_at"
        " FROM elder_absences WHERE elder_id = %s ORDER BY starts_at DESC, id DESC",
        (elder_id,),
        Absence,
    )


async def delete(conn: Conn, elder_id: str, absence_id: int) -> bool:
    cur = await conn.execute(
        "DELETE FROM elder_absences WHERE elder_id = %s AND id = %s", (elder_id, absence_id)
    )
    return cur.rowcount > 0
