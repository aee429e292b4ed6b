"""SQL of the elder file's history (written by the trigger of migration 0010)."""

from __future__ import annotations

from care.history import ElderChange, change_of
from store.db import Conn, fetch_rows


async def history(conn: Conn, elder_id: str, *, limit: int = 200) -> list[ElderChange]:
    """The file's changes, newest first."""
    rows = await fetch_rows(
        conn,
        "SELECT id, elder_id, changed_at, changed_by, operation, changes"
        " FROM elder_history WHERE elder_id = %s ORDER BY id DESC LIMIT %s",
        (elder_id, limit),
    )
    return [change_of(row) for row in rows]
