"""SQL of the ``visit_overdue`` alerts: the active ones, and those a person resolved lately.
Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.db import Conn, fetch_all, fetch_rows


@dataclass(frozen=True, slots=True)
class ActiveOverdue:
    """An open or acked ``visit_overdue`` alert: a town's list (``town``) or an elder's."""

    id: int
    subject: str
    town: str | None
    elder_id: str | None
    opened_at: datetime
    last_seen_at: datetime
    summary: str


async def active(conn: Conn) -> list[ActiveOverdue]:
    return await fetch_all(
        conn,
        "SELECT id, subject, town, elder_id, opened_at, last_seen_at, summary FROM alerts"
        " WHERE type = 'visit_overdue' AND status IN ('open', 'acked') ORDER BY id",
        (),
        ActiveOverdue,
    )


async def resolved_by_people_since(conn: Conn, since: datetime) -> set[str]:
    """The subjects of ``visit_overdue`` alerts a person (not the system) resolved at or
    after ``since``."""
    rows = await fetch_rows(
        conn,
        "SELECT DISTINCT subject FROM alerts WHERE type = 'visit_overdue'"
        " AND status = 'resolved' AND resolved_at >= %s AND resolved_by_actor <> 'system'",
        (since,),
    )
    return {str(r["subject"]) for r in rows}


async def towns_with_elders(conn: Conn) -> list[str]:
    """Every town some elder on file lives in (the elders_town index), by name."""
    rows = await fetch_rows(
        conn, "SELECT DISTINCT town FROM elders WHERE town IS NOT NULL ORDER BY town", ()
    )
    return [str(r["town"]) for r in rows]
