"""SQL of storms (``alerting.storm_services``): the towns of the devices found offline, the
device alerts opened lately, the standing incidents and their grouped alerts. Callers own
the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from psycopg import sql

from store.db import Conn, fetch_all, fetch_rows

# A storm incident: the town's own device_offline alert (about no elder, no device).
_INCIDENT: Final = sql.SQL(
    "p.type = 'device_offline' AND p.elder_id IS NULL AND p.device_id IS NULL"
    " AND p.town IS NOT NULL"
)
_ACTIVE: Final = "('open', 'acked')"


async def towns_of(conn: Conn, elder_ids: Sequence[str]) -> dict[str, str]:
    """The town of each elder of ``elder_ids`` that has one."""
    rows = await fetch_rows(
        conn,
        "SELECT id, town FROM elders WHERE id = ANY(%s) AND town IS NOT NULL",
        (list(set(elder_ids)),),
    )
    return {str(r["id"]): str(r["town"]) for r in rows}


async def recent_by_town(conn: Conn, since: datetime, now: datetime) -> dict[str, int]:
    """How many devices' ``device_offline`` alerts each town had opened in (since, now]
    (the alerts_offline_opened index)."""
    rows = await fetch_rows(
        conn,
        "SELECT e.town, count(*)::int AS n FROM alerts AS a JOIN elders AS e ON e.id = a.elder_id"
        " WHERE a.type = 'device_offline' AND a.device_id IS NOT NULL"
        " AND a.opened_at > %s AND a.opened_at <= %s AND e.town IS NOT NULL GROUP BY e.town",
        (since, now),
    )
    return {str(r["town"]): int(r["n"]) for r in rows}


@dataclass(frozen=True, slots=True)
class Grouping:
    """An active device alert to put under an incident."""

    id: int
    device_id: str


async def ungrouped_recent(conn: Conn, town: str, since: datetime, now: datetime) -> list[Grouping]:
    """The active, not yet grouped ``device_offline`` alerts of ``town``'s devices opened in
    (since, now], oldest first, locked until the transaction ends."""
    return await fetch_all(
        conn,
        "SELECT a.id, a.device_id FROM alerts AS a JOIN elders AS e ON e.id = a.elder_id"
        " WHERE a.type = 'device_offline' AND a.device_id IS NOT NULL AND a.parent_id IS NULL"
        " AND a.status IN ('open', 'acked') AND a.opened_at > %s AND a.opened_at <= %s"
        " AND e.town = %s ORDER BY a.opened_at, a.id FOR UPDATE OF a",
        (since, now, town),
        Grouping,
    )


async def group(conn: Conn, alert_ids: Sequence[int], incident_id: int) -> None:
    await conn.execute(
        "UPDATE alerts SET parent_id = %s WHERE id = ANY(%s)", (incident_id, list(alert_ids))
    )


@dataclass(frozen=True, slots=True)
class Incident:
    """A standing storm incident: its town, how many device alerts it groups, how many of
    those are still active (their devices offline)."""

    id: int
    town: str
    devices: int
    still_offline: int


_INCIDENTS: Final = sql.SQL(
    "SELECT p.id, p.town, count(c.id)::int AS devices,"
    " (count(c.id) FILTER (WHERE c.status IN {active}))::int AS still_offline"
    " FROM alerts AS p LEFT JOIN alerts AS c ON c.parent_id = p.id"
    " WHERE {incident} AND p.status IN {active} GROUP BY p.id, p.town ORDER BY p.id"
).format(incident=_INCIDENT, active=sql.SQL(_ACTIVE))


async def incidents(conn: Conn) -> list[Incident]:
    """The standing storm incidents, with their grouped alerts counted."""
    return await fetch_all(conn, _INCIDENTS, (), Incident)


async def grouped_count(conn: Conn, incident_id: int) -> int:
    """How many device alerts are grouped under the incident (active or not)."""
    rows = await fetch_rows(
        conn, "SELECT count(*)::int AS n FROM alerts WHERE parent_id = %s", (incident_id,)
    )
    return int(rows[0]["n"])


_ORPHANS: Final = sql.SQL(
    "SELECT c.id FROM alerts AS c JOIN alerts AS p ON p.id = c.parent_id"
    " WHERE c.parent_id IS NOT NULL AND c.status IN {active} AND p.status = 'resolved'"
    " ORDER BY c.id FOR UPDATE OF c"
).format(active=sql.SQL(_ACTIVE))


async def orphans(conn: Conn) -> list[int]:
    """Grouped alerts still active whose incident is resolved (cleared, or resolved by a
    person), locked until the transaction ends."""
    rows = await fetch_rows(conn, _ORPHANS, ())
    return [int(r["id"]) for r in rows]


async def release(conn: Conn, alert_ids: Sequence[int]) -> None:
    """The alerts are no longer grouped: they escalate on their own."""
    await conn.execute("UPDATE alerts SET parent_id = NULL WHERE id = ANY(%s)", (list(alert_ids),))
