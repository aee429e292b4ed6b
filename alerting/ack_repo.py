"""SQL the ack links read: whom a notification of an alert went to, and who acked it."""

from __future__ import annotations

from dataclasses import dataclass

from store.db import Conn, fetch_one


@dataclass(frozen=True, slots=True)
class NotifiedRecipient:
    """A recipient as a notification named them (the name may be unknown)."""

    recipient_name: str | None
    recipient_role: str


async def notified_recipient(
    conn: Conn, alert_id: int, recipient_key: str
) -> NotifiedRecipient | None:
    """The recipient ``recipient_key`` of the alert's latest notification to them, or None
    when none was made."""
    return await fetch_one(
        conn,
        "SELECT recipient_name, recipient_role FROM notifications"
        " WHERE alert_id = %s AND recipient_key = %s ORDER BY id DESC LIMIT 1",
        (alert_id, recipient_key),
        NotifiedRecipient,
    )


async def acked_by_actor(conn: Conn, alert_id: int) -> str | None:
    """Who (the actor: a token, an ack link) acknowledged the alert; None: nobody yet."""
    cur = await conn.execute("SELECT acked_by_actor FROM alerts WHERE id = %s", (alert_id,))
    row = await cur.fetchone()
    return None if row is None else row[0]
