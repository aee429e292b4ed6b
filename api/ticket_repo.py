"""SQL of the live stream's single-use tickets: only a SHA-256 of each ticket is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.db import Conn, fetch_one


@dataclass(frozen=True, slots=True)
class TicketHolder:
    """Who asked for a ticket: the role and town of their token, and its id (None: the
    admin token of the settings)."""

    role: str
    town: str | None
    token_id: int | None


async def insert(
    conn: Conn, ticket_hash: str, holder: TicketHolder, *, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO alert_stream_tickets (ticket_hash, role, town, token_id, created_at,"
        " expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
        (ticket_hash, holder.role, holder.town, holder.token_id, now, expires_at),
    )


async def redeem(conn: Conn, ticket_hash: str, now: datetime) -> TicketHolder | None:
    """Spend a ticket: its holder when it is unused and not expired at ``now``, else None.
    One statement, so two requests racing with one ticket cannot both have it."""
    return await fetch_one(
        conn,
        "UPDATE alert_stream_tickets SET used_at = %(now)s"
        " WHERE ticket_hash = %(hash)s AND used_at IS NULL AND expires_at > %(now)s"
        " RETURNING role, town, token_id",
        {"hash": ticket_hash, "now": now},
        TicketHolder,
    )


async def prune(conn: Conn, before: datetime) -> None:
    """Forget the tickets that expired before ``before``."""
    await conn.execute("DELETE FROM alert_stream_tickets WHERE expires_at < %s", (before,))
