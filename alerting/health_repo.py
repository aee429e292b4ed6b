"""SQL of device and system health: the active device-health alerts, the gateways'
heartbeats, and the sweep's lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from psycopg import sql

from alerting.models import DETECTOR_ACTOR
from store.db import Conn, fetch_all, fetch_row

# An alert whose ``opened`` timeline row is the detectors' (``DETECTOR_ACTOR``, the one
# parameter): a stuck sensor's ``device_offline``. Alias the alerts table ``a``.
OPENED_BY_DETECTOR: Final = sql.SQL(
    "EXISTS (SELECT 1 FROM alert_timeline t"
    " WHERE t.alert_id = a.id AND t.kind = 'opened' AND t.actor = %s)"
)


@dataclass(frozen=True, slots=True)
class ActiveHealthAlert:
    """``by_detector``: a stuck sensor's ``device_offline``, which the detectors opened and
    end (a stuck sensor is heard all the time: "heard again" must not clear it)."""

    type: str
    device_id: str
    by_detector: bool = False


async def active_device_alerts(conn: Conn) -> list[ActiveHealthAlert]:
    """The open or acked ``device_offline`` and ``battery_low`` alerts, and which of them
    the detectors opened (``by_detector``: the actor of their ``opened`` timeline row)."""
    return await fetch_all(
        conn,
        sql.SQL(
            "SELECT type, device_id, {} AS by_detector FROM alerts a"
            " WHERE status IN ('open', 'acked') AND type IN ('device_offline', 'battery_low')"
            " AND device_id IS NOT NULL"
        ).format(OPENED_BY_DETECTOR),
        (DETECTOR_ACTOR,),
        ActiveHealthAlert,
    )


async def active_alert_id(conn: Conn, alert_type: str, subject: str) -> int | None:
    """The open or acked alert of (type, subject), locked until the transaction ends."""
    row = await fetch_row(
        conn,
        "SELECT id FROM alerts WHERE type = %s AND subject = %s"
        " AND status IN ('open', 'acked') FOR UPDATE",
        (alert_type, subject),
    )
    return None if row is None else int(row["id"])


async def try_lease(conn: Conn, name: str) -> bool:
    """Take the sweep's lease until the transaction ends; False when another process holds
    it (that process sweeps now: this one skips its turn)."""
    row = await fetch_row(conn, "SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS got", (name,))
    return bool(row and row["got"])


async def write_heartbeat(
    conn: Conn, client_id: str, *, started_at: datetime, now: datetime, ingesting: bool
) -> None:
    await conn.execute(
        "INSERT INTO gateway_heartbeats AS h (client_id, first_seen_at, started_at, seen_at,"
        " ingesting, ingesting_at) VALUES (%(id)s, %(now)s, %(started)s, %(now)s, %(ingesting)s,"
        " CASE WHEN %(ingesting)s THEN %(now)s::timestamptz END)"
        " ON CONFLICT (client_id) DO UPDATE SET started_at = EXCLUDED.started_at,"
        " seen_at = EXCLUDED.seen_at, ingesting = EXCLUDED.ingesting,"
        " ingesting_at = COALESCE(EXCLUDED.ingesting_at, h.ingesting_at)",
        {"id": client_id, "started": started_at, "now": now, "ingesting": ingesting},
    )


@dataclass(frozen=True, slots=True)
class Heartbeat:
    client_id: str
    first_seen_at: datetime
    started_at: datetime
    seen_at: datetime
    ingesting: bool
    ingesting_at: datetime | None

    @property
    def silent_since(self) -> datetime:
        """Its last ingesting heartbeat, or its first heartbeat when it never ingested."""
        return self.ingesting_at or self.first_seen_at


async def heartbeats(conn: Conn) -> list[Heartbeat]:
    return await fetch_all(
        conn,
        "SELECT client_id, first_seen_at, started_at, seen_at, ingesting, ingesting_at"
        " FROM gateway_heartbeats ORDER BY client_id",
        (),
        Heartbeat,
    )
