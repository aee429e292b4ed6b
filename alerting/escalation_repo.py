"""SQL of escalation rows (``alert_escalations``) and of the notification outbox
(``notifications``). Callers own the transaction; times are passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from psycopg import sql
from psycopg.rows import class_row

from store.db import Conn, fetch_all

# The channel the escalator listens on: a new, restarted or acked escalation and a new
# notification wake it at once (delivered when the transaction commits).
WAKE_CHANNEL: Final = "tanfang_escalation"


async def wake(conn: Conn) -> None:
    """Wake the escalators when the caller's transaction commits (several wakes in one
    transaction are one)."""
    await conn.execute("SELECT pg_notify(%s, '')", (WAKE_CHANNEL,))


async def start(
    conn: Conn, alert_id: int, severity: str, started_at: datetime, due_at: datetime
) -> None:
    """Start (or restart, as a new cycle) the escalation of an alert from its first step."""
    await conn.execute(
        "INSERT INTO alert_escalations AS x (alert_id, severity, cycle, started_at, next_step,"
        " due_at, phase, contacts_done) VALUES (%s, %s, 0, %s, 0, %s, 'step', 0)"
        " ON CONFLICT (alert_id) DO UPDATE SET cycle = x.cycle + 1,"
        " severity = EXCLUDED.severity, started_at = EXCLUDED.started_at, next_step = 0,"
        " due_at = EXCLUDED.due_at, phase = 'step', contacts_done = 0",
        (alert_id, severity, started_at, due_at),
    )


async def wait_for_ack_timeout(conn: Conn, alert_id: int, severity: str, due_at: datetime) -> None:
    """The alert is acked: no step runs; at ``due_at`` it opens again unless resolved."""
    await conn.execute(
        "INSERT INTO alert_escalations AS x (alert_id, severity, cycle, started_at, due_at,"
        " phase) VALUES (%s, %s, 0, %s, %s, 'ack_timeout')"
        " ON CONFLICT (alert_id) DO UPDATE SET phase = 'ack_timeout', due_at = EXCLUDED.due_at",
        (alert_id, severity, due_at, due_at),
    )


async def stop(conn: Conn, alert_id: int) -> None:
    await conn.execute("DELETE FROM alert_escalations WHERE alert_id = %s", (alert_id,))


@dataclass(frozen=True, slots=True)
class DueEscalation:
    alert_id: int
    severity: str
    cycle: int
    started_at: datetime
    next_step: int
    due_at: datetime
    phase: str
    contacts_done: int


async def claim_due(conn: Conn, now: datetime, limit: int) -> list[DueEscalation]:
    """The escalations due by ``now``, earliest first, locked for this transaction; those
    another escalator holds are skipped (it runs them)."""
    return await fetch_all(
        conn,
        "SELECT alert_id, severity, cycle, started_at, next_step, due_at, phase, contacts_done"
        " FROM alert_escalations WHERE due_at <= %s ORDER BY due_at LIMIT %s"
        " FOR UPDATE SKIP LOCKED",
        (now, limit),
        DueEscalation,
    )


async def advance(
    conn: Conn, alert_id: int, next_step: int, due_at: datetime | None, contacts_done: int
) -> None:
    """Move to the next step (None: no step left, the row goes)."""
    if due_at is None:
        await stop(conn, alert_id)
        return
    await conn.execute(
        "UPDATE alert_escalations SET next_step = %s, due_at = %s, contacts_done = %s"
        " WHERE alert_id = %s",
        (next_step, due_at, contacts_done, alert_id),
    )


async def raise_level(conn: Conn, alert_id: int, level: int) -> None:
    await conn.execute(
        "UPDATE alerts SET escalation_level = GREATEST(escalation_level, %s) WHERE id = %s",
        (level, alert_id),
    )


async def reopen_acked(conn: Conn, alert_id: int) -> bool:
    """An acked alert nobody resolved is open again; False when it was not acked."""
    cur = await conn.execute(
        "UPDATE alerts SET status = 'open', acked_at = NULL, acked_by = NULL,"
        " acked_by_actor = NULL, last_change = 'reopened' WHERE id = %s AND status = 'acked'",
        (alert_id,),
    )
    return cur.rowcount == 1


@dataclass(frozen=True, slots=True)
class NewNotification:
    alert_id: int
    cycle: int
    step: int
    level: int
    purpose: str
    recipient_role: str
    recipient_key: str
    recipient_name: str | None
    recipient_phone: str | None
    channel: str
    give_up_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notification claimed for delivery by this escalator."""

    id: int
    alert_id: int
    level: int
    purpose: str
    recipient_role: str
    recipient_key: str
    recipient_name: str | None
    recipient_phone: str | None
    channel: str
    attempts: int
    give_up_at: datetime


_CLAIMED_COLUMNS: Final = sql.SQL(
    "id, alert_id, level, purpose, recipient_role, recipient_key, recipient_name,"
    " recipient_phone, channel, attempts, give_up_at"
)


async def add_notifications(
    conn: Conn,
    made: Sequence[NewNotification],
    now: datetime,
    *,
    claimed_by: str | None,
    lease_until: datetime | None,
) -> list[Claimed]:
    """Add the notifications a step made, claimed by their maker when ``claimed_by`` is
    given (it sends them next; else any escalator will); one that exists (the step ran
    before) is left as it is and not returned."""
    if not made:
        return []
    params = [
        (
            n.alert_id,
            n.cycle,
            n.step,
            n.level,
            n.purpose,
            n.recipient_role,
            n.recipient_key,
            n.recipient_name,
            n.recipient_phone,
            n.channel,
            now,
            now,
            n.give_up_at,
            lease_until,
            claimed_by,
            0 if claimed_by is None else 1,
        )
        for n in made
    ]
    claimed: list[Claimed] = []
    async with conn.cursor(row_factory=class_row(Claimed)) as cur:
        await cur.executemany(_ADD, params, returning=True)
        while True:
            claimed.extend(await cur.fetchall())
            if not cur.nextset():
                break
    return claimed


_ADD: Final = sql.SQL(
    "INSERT INTO notifications (alert_id, cycle, step, level, purpose, recipient_role,"
    " recipient_key, recipient_name, recipient_phone, channel, created_at, next_attempt_at,"
    " give_up_at, claimed_until, claimed_by, attempts)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING RETURNING {}"
).format(_CLAIMED_COLUMNS)


async def claim_deliveries(
    conn: Conn, now: datetime, limit: int, *, claimed_by: str, lease_until: datetime
) -> list[Claimed]:
    """Pending notifications whose next attempt is due and that no live escalator holds
    (its lease ran out: it died mid-send), claimed for this one."""
    return await fetch_all(
        conn,
        sql.SQL(
            "UPDATE notifications SET claimed_until = %s, claimed_by = %s,"
            " attempts = attempts + 1 WHERE id IN (SELECT id FROM notifications"
            " WHERE status = 'pending' AND next_attempt_at <= %s"
            " AND (claimed_until IS NULL OR claimed_until < %s)"
            " ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING {}"
        ).format(_CLAIMED_COLUMNS),
        (lease_until, claimed_by, now, now, limit),
        Claimed,
    )


async def renew_leases(
    conn: Conn, ids: Sequence[int], *, claimed_by: str, lease_until: datetime
) -> None:
    await conn.execute(
        "UPDATE notifications SET claimed_until = %s"
        " WHERE id = ANY(%s) AND claimed_by = %s AND status = 'pending'",
        (lease_until, list(ids), claimed_by),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a claimed notification ended this attempt: ``status`` 'sent', 'failed',
    'cancelled', or 'pending' with the time of the next attempt."""

    id: int
    status: str
    at: datetime
    next_attempt_at: datetime | None
    error: str | None


async def settle(conn: Conn, outcomes: Sequence[Outcome], claimed_by: str) -> None:
    """Record how claimed notifications went (only while this escalator still holds them)."""
    if not outcomes:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            "UPDATE notifications SET status = %s,"
            " sent_at = CASE WHEN %s = 'sent' THEN %s ELSE sent_at END,"
            " next_attempt_at = COALESCE(%s, next_attempt_at), last_error = %s,"
            " claimed_until = NULL, claimed_by = NULL"
            " WHERE id = %s AND claimed_by = %s AND status = 'pending'",
            [
                (o.status, o.status, o.at, o.next_attempt_at, o.error, o.id, claimed_by)
                for o in outcomes
            ],
        )


@dataclass(frozen=True, slots=True)
class Fallback:
    """An attempt of notification ``failed_id`` failed: the same notification goes to the
    next channel of the recipient's chain, ``channel``, from ``at``."""

    failed_id: int
    channel: str
    at: datetime


async def add_fallbacks(conn: Conn, fallbacks: Sequence[Fallback]) -> None:
    """Make each fallback's notification: the failed one's alert, cycle, step, purpose,
    recipient and give-up time on the next channel, due at once for any escalator, unclaimed
    — only while the alert is open. One made before (an earlier failed attempt) is left as
    it is: the unique key holds the channel."""
    if not fallbacks:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO notifications (alert_id, cycle, step, level, purpose, recipient_role,"
            " recipient_key, recipient_name, recipient_phone, channel, created_at,"
            " next_attempt_at, give_up_at)"
            " SELECT n.alert_id, n.cycle, n.step, n.level, n.purpose, n.recipient_role,"
            " n.recipient_key, n.recipient_name, n.recipient_phone, %s, %s, %s, n.give_up_at"
            " FROM notifications n JOIN alerts a ON a.id = n.alert_id"
            " WHERE n.id = %s AND a.status = 'open'"
            " ON CONFLICT DO NOTHING",
            [(f.channel, f.at, f.at, f.failed_id) for f in fallbacks],
        )


async def earliest_due(conn: Conn) -> datetime | None:
    """The earliest time an escalation step or a delivery attempt is due (a claimed
    delivery: when its lease runs out)."""
    cur = await conn.execute(
        "SELECT LEAST((SELECT min(due_at) FROM alert_escalations),"
        " (SELECT min(GREATEST(next_attempt_at, COALESCE(claimed_until, next_attempt_at)))"
        "  FROM notifications WHERE status = 'pending'))"
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class Notified:
    """Someone a notification reached, on a channel."""

    recipient_role: str
    recipient_key: str
    recipient_name: str | None
    recipient_phone: str | None
    channel: str


async def notified(conn: Conn, alert_id: int, recipient_key: str | None = None) -> list[Notified]:
    """Whom the alert's notifications reached (or are reaching), once each per channel;
    only ``recipient_key`` when given."""
    return await fetch_all(
        conn,
        "SELECT DISTINCT ON (recipient_key, channel) recipient_role, recipient_key,"
        " recipient_name, recipient_phone, channel FROM notifications"
        " WHERE alert_id = %s AND purpose <> 'resolution' AND status IN ('sent', 'pending')"
        " AND (%s::text IS NULL OR recipient_key = %s)"
        " ORDER BY recipient_key, channel, id",
        (alert_id, recipient_key, recipient_key),
        Notified,
    )


async def cancel_pending(conn: Conn, alert_id: int, now: datetime) -> int:
    """Pending notifications of the alert that ask for an ack (not resolution notices) are
    not sent: the alert is acked or resolved."""
    cur = await conn.execute(
        "UPDATE notifications SET status = 'cancelled', last_error = 'alert no longer open',"
        " next_attempt_at = %s WHERE alert_id = %s AND status = 'pending'"
        " AND purpose <> 'resolution' AND claimed_until IS NULL",
        (now, alert_id),
    )
    return cur.rowcount


async def acked_by_actor(conn: Conn, alert_id: int) -> str | None:
    """Who (which token, or which ack link) acked the alert."""
    cur = await conn.execute("SELECT acked_by_actor FROM alerts WHERE id = %s", (alert_id,))
    row = await cur.fetchone()
    return None if row is None else row[0]
