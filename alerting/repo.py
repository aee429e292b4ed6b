"""SQL of alerts, their timeline and their events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from psycopg import sql
from psycopg.types.json import Jsonb

from alerting.models import Alert, EventKey, TimelineEntry
from store.db import Conn, Where, fetch_all, fetch_one, fetch_row, fetch_rows

_ALERT_COLUMNS: Final = sql.SQL(
    "a.id, a.type, a.severity, a.elder_id, a.device_id, a.status, a.opened_at, a.acked_at,"
    " a.resolved_at, a.escalation_level, a.summary, a.count, a.last_seen_at, a.acked_by,"
    " a.resolved_by, a.outcome, a.notes, a.cancelled_by_elder, a.cancelled_at"
)

# One open-or-acked alert per (type, subject): a second signal counts on it. Whether an acked
# alert opens again is decided by the caller (``reopen``); ``last_change`` tells the caller
# what happened, since RETURNING sees only the new row.
_UPSERT = sql.SQL(
    "INSERT INTO alerts AS a (type, severity, subject, elder_id, device_id, town, status,"
    " opened_at, last_seen_at, count, summary, last_change)"
    " VALUES (%(type)s, %(severity)s, %(subject)s, %(elder_id)s, %(device_id)s, %(town)s,"
    " 'open', %(now)s, %(now)s, 1, %(summary)s, 'opened')"
    " ON CONFLICT (type, subject) WHERE status IN ('open', 'acked') DO UPDATE SET"
    " count = a.count + 1,"
    " last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),"
    " status = CASE WHEN a.status = 'acked' AND %(reopen)s THEN 'open' ELSE a.status END,"
    " acked_at = CASE WHEN a.status = 'acked' AND %(reopen)s THEN NULL ELSE a.acked_at END,"
    " acked_by = CASE WHEN a.status = 'acked' AND %(reopen)s THEN NULL ELSE a.acked_by END,"
    " acked_by_actor = CASE WHEN a.status = 'acked' AND %(reopen)s THEN NULL"
    "   ELSE a.acked_by_actor END,"
    " last_change = CASE WHEN a.status = 'acked' AND %(reopen)s THEN 'reopened'"
    "   ELSE 'refreshed' END"
    " RETURNING {columns}, a.last_change"
).format(columns=_ALERT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Upserted:
    alert: Alert
    change: str


async def upsert(
    conn: Conn,
    *,
    alert_type: str,
    severity: str,
    subject: str,
    elder_id: str | None,
    device_id: str | None,
    summary: str,
    reopen: bool,
    now: datetime,
    town: str | None = None,
) -> Upserted:
    """Open the alert of (type, subject) or count on the active one. ``town``: a town-level
    alert's town (an elder's alert takes the elder's)."""
    row = await fetch_row(
        conn,
        _UPSERT,
        {
            "type": alert_type,
            "severity": severity,
            "subject": subject,
            "elder_id": elder_id,
            "device_id": device_id,
            "town": town,
            "summary": summary,
            "reopen": reopen,
            "now": now,
        },
    )
    assert row is not None  # an upsert always returns its row
    change = row.pop("last_change")
    return Upserted(Alert.model_validate(row), change)


async def set_summary(conn: Conn, alert_id: int, summary: str) -> None:
    """A new one-line summary for an alert whose condition grew or shrank (a storm's device
    count, a town's elders still due)."""
    await conn.execute("UPDATE alerts SET summary = %s WHERE id = %s", (summary, alert_id))


async def device_place(conn: Conn, device_id: str) -> tuple[str | None, str | None]:
    """The device's type and room (None, None: not registered)."""
    row = await fetch_row(conn, "SELECT type, room FROM devices WHERE id = %s", (device_id,))
    if row is None:
        return None, None
    return row["type"], row["room"]


async def event_seen(conn: Conn, event: EventKey) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM alert_events WHERE device_id = %s AND ts = %s AND kind = %s",
        (event.device_id, event.ts, event.kind),
    )
    return await cur.fetchone() is not None


async def attach_event(conn: Conn, event: EventKey, alert_id: int | None) -> None:
    await conn.execute(
        "INSERT INTO alert_events (device_id, ts, kind, alert_id) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event.device_id, event.ts, event.kind, alert_id),
    )


async def add_timeline(
    conn: Conn,
    alert_id: int,
    kind: str,
    at: datetime,
    *,
    actor: str | None = None,
    who: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO alert_timeline (alert_id, at, kind, actor, who, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (alert_id, at, kind, actor, who, None if detail is None else Jsonb(dict(detail))),
    )


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A timeline row to add (``add_timeline_many``): a notification attempt, say."""

    alert_id: int
    at: datetime
    kind: str
    actor: str | None = None
    who: str | None = None
    channel: str | None = None
    result: str | None = None
    error: str | None = None
    duration_ms: int | None = None
    detail: Mapping[str, Any] | None = None


async def add_timeline_many(conn: Conn, entries: list[NewEntry]) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO alert_timeline (alert_id, at, kind, actor, who, channel, result, error,"
            " duration_ms, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    e.alert_id,
                    e.at,
                    e.kind,
                    e.actor,
                    e.who,
                    e.channel,
                    e.result,
                    e.error,
                    e.duration_ms,
                    None if e.detail is None else Jsonb(dict(e.detail)),
                )
                for e in entries
            ],
        )


async def timeline(conn: Conn, alert_id: int) -> list[TimelineEntry]:
    return await fetch_all(
        conn,
        "SELECT id, at, kind, actor, who, channel, result, error, duration_ms, detail"
        " FROM alert_timeline WHERE alert_id = %s ORDER BY at, id",
        (alert_id,),
        TimelineEntry,
    )


# An alert's town: its elder's, or a town-level alert's own (migration 0045).
_TOWN = sql.SQL("coalesce(e.town, a.town) AS town")

_GET = sql.SQL(
    "SELECT {columns}, {town} FROM alerts a LEFT JOIN elders e ON e.id = a.elder_id WHERE a.id = %s"
).format(columns=_ALERT_COLUMNS, town=_TOWN)


@dataclass(frozen=True, slots=True)
class Located:
    """An alert and its town: its elder's, or a town-level alert's (None: a system alert,
    or an elder without a town)."""

    alert: Alert
    town: str | None


async def get(conn: Conn, alert_id: int, *, lock: bool = False) -> Located | None:
    query = _GET + sql.SQL(" FOR UPDATE OF a") if lock else _GET
    row = await fetch_row(conn, query, (alert_id,))
    if row is None:
        return None
    town = row.pop("town")
    return Located(Alert.model_validate(row), town)


_GET_MANY = sql.SQL(
    "SELECT {columns}, {town} FROM alerts a LEFT JOIN elders e ON e.id = a.elder_id"
    " WHERE a.id = ANY(%s)"
).format(columns=_ALERT_COLUMNS, town=_TOWN)


async def get_many(conn: Conn, alert_ids: list[int], *, lock: bool = False) -> dict[int, Located]:
    """The alerts of ``alert_ids`` (those that exist) by id, with their elders' towns.
    ``lock``: locked for change until the transaction ends, leaving out (never waiting
    for) those another transaction is changing."""
    query = _GET_MANY + sql.SQL(" FOR NO KEY UPDATE OF a SKIP LOCKED") if lock else _GET_MANY
    found: dict[int, Located] = {}
    for row in await fetch_rows(conn, query, (alert_ids,)):
        town = row.pop("town")
        alert = Alert.model_validate(row)
        found[alert.id] = Located(alert, town)
    return found


async def open_for_sending(conn: Conn, alert_id: int) -> bool:
    """Whether the alert is open, seen under a share lock: an ack (an UPDATE of the row) that
    has not committed yet is waited for and its result seen; one that comes after waits for
    this statement. So a notification decided while this says open was decided before any
    ack of the alert committed. Run it outside a transaction: the lock lasts the statement."""
    cur = await conn.execute(
        "SELECT 1 FROM alerts WHERE id = %s AND status = 'open' FOR SHARE", (alert_id,)
    )
    return await cur.fetchone() is not None


async def acknowledge(
    conn: Conn, alert_id: int, by: str, actor: str, now: datetime
) -> Alert | None:
    return await fetch_one(
        conn,
        sql.SQL(
            "UPDATE alerts a SET status = 'acked', acked_at = %s, acked_by = %s,"
            " acked_by_actor = %s WHERE a.id = %s AND a.status = 'open' RETURNING {}"
        ).format(_ALERT_COLUMNS),
        (now, by, actor, alert_id),
        Alert,
    )


async def resolve(
    conn: Conn,
    alert_id: int,
    *,
    by: str,
    actor: str,
    outcome: str,
    notes: str | None,
    now: datetime,
) -> Alert | None:
    return await fetch_one(
        conn,
        sql.SQL(
            "UPDATE alerts a SET status = 'resolved', resolved_at = %s, resolved_by = %s,"
            " resolved_by_actor = %s, outcome = %s, notes = %s"
            " WHERE a.id = %s AND a.status <> 'resolved' RETURNING {}"
        ).format(_ALERT_COLUMNS),
        (now, by, actor, outcome, notes, alert_id),
        Alert,
    )


# The active sos alert a cancel from this device may mark: one raised (or counted) by a press
# of the same device no longer than the window before the cancel.
_CANCELLABLE = sql.SQL(
    "SELECT a.id FROM alerts a JOIN alert_events x ON x.alert_id = a.id"
    " WHERE a.type = 'sos' AND a.status IN ('open', 'acked')"
    " AND x.device_id = %(device_id)s AND x.kind = 'sos'"
    " AND x.ts <= %(ts)s AND x.ts >= %(earliest)s"
    " ORDER BY x.ts DESC LIMIT 1 FOR UPDATE OF a"
)


async def cancellable_sos(
    conn: Conn, device_id: str, ts: datetime, earliest: datetime
) -> int | None:
    row = await fetch_row(
        conn, _CANCELLABLE, {"device_id": device_id, "ts": ts, "earliest": earliest}
    )
    return None if row is None else int(row["id"])


async def mark_cancelled(conn: Conn, alert_id: int, now: datetime) -> bool:
    """Mark the alert cancelled by the elder; False when it already was."""
    cur = await conn.execute(
        "UPDATE alerts SET cancelled_by_elder = true, cancelled_at = %s"
        " WHERE id = %s AND NOT cancelled_by_elder",
        (now, alert_id),
    )
    return cur.rowcount == 1


@dataclass(frozen=True, slots=True)
class UnseenEvent:
    device_id: str
    ts: datetime
    kind: str
    value: float | None
    elder_id: str | None


# Critical events and cancels received since a time that no alert has counted, oldest first
# (a press before its cancel); a detector's "clear" is left out, it opens nothing.
_UNSEEN = (
    "SELECT e.device_id, e.ts, e.kind, e.value, e.elder_id FROM events e"
    " WHERE e.kind IN ('sos', 'fall', 'smoke', 'gas', 'cancel') AND e.received_at >= %s"
    " AND NOT (e.kind IN ('smoke', 'gas') AND e.value = 0)"
    " AND NOT EXISTS (SELECT 1 FROM alert_events x"
    "   WHERE x.device_id = e.device_id AND x.ts = e.ts AND x.kind = e.kind)"
    " ORDER BY e.ts, e.received_at"
)


async def unseen_events(conn: Conn, since: datetime) -> list[UnseenEvent]:
    return await fetch_all(conn, _UNSEEN, (since,), UnseenEvent)


async def lock_reconcile(conn: Conn) -> None:
    """One reconcile at a time across gateways, until the transaction ends: two would both
    count an event that neither had seen."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('tanfang.alerts.reconcile'))")


# The list, newest first; town staff see their town's alerts only.
# The filters name the columns bare (``store.db.where``), hence the inner select.
_LIST = sql.SQL(
    "SELECT * FROM (SELECT {columns}, {town} FROM alerts a"
    " LEFT JOIN elders e ON e.id = a.elder_id) a{where}"
    " ORDER BY id DESC LIMIT %(limit)s"
)


async def list_alerts(conn: Conn, where: Where, limit: int) -> list[Alert]:
    params: dict[str, object] = {**where.params, "limit": limit}
    return await fetch_all(
        conn, _LIST.format(columns=_ALERT_COLUMNS, town=_TOWN, where=where.clause), params, Alert
    )


async def alert_of_event(conn: Conn, event: EventKey) -> int | None:
    cur = await conn.execute(
        "SELECT alert_id FROM alert_events WHERE device_id = %s AND ts = %s AND kind = %s",
        (event.device_id, event.ts, event.kind),
    )
    row = await cur.fetchone()
    return None if row is None or row[0] is None else int(row[0])
