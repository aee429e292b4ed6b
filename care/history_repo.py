"""SQL of the elder file's history (written by the trigger of migration 0010)."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, dict_row

from care.history import ElderChange, change_of

Conn = AsyncConnection[TupleRow]


async def history(conn: Conn, elder_id: str, *, limit: int = 200) -> list[ElderChange]:
    """The file's changes, newest first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT id, elder_id, changed_at, changed_by, operation, changes"
            " FROM elder_history WHERE elder_id = %s ORDER BY id DESC LIMIT %s",
            (elder_id, limit),
        )
        rows = await cur.fetchall()
    return [change_of(row) for row in rows]
