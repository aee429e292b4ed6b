"""SQL of an elder's activity timeline: activity events per room and time slot."""

from __future__ import annotations

from typing import Final

from psycopg import sql

from care.activity import ACTIVITY_KINDS, SlotCount, Window
from store.db import Conn, fetch_all

# Whole past hours from the rollup (activity_hourly: rows per device, kind and hour), the
# rest from the events stored under the elder (events_elder_ts): the hour still filling,
# sub-hour slots, and the hours the plain-PostgreSQL rollup has not recounted yet
# (activity_stale_hours; none on TimescaleDB, whose aggregate is real-time). Each count in
# the room of its device as it is registered now. Water counts only when some ran (a meter
# reports 0 on a timer); the rollup counts the same kinds (migration 0048).
_SLOTS: Final = sql.SQL(
    "WITH stale AS (SELECT h FROM activity_stale_hours(%(elder_id)s) AS h),"
    " counted AS ("
    "SELECT a.device_id, a.hour AS ts, a.events, a.last FROM activity_hourly AS a"
    " WHERE a.elder_id = %(elder_id)s AND a.hour >= %(since)s AND a.hour < %(rolled)s"
    " AND a.kind = ANY(%(kinds)s) AND a.hour NOT IN (SELECT h FROM stale)"
    " UNION ALL"
    " SELECT e.device_id, e.ts, 1, e.ts FROM events AS e"
    " WHERE e.elder_id = %(elder_id)s AND e.ts >= %(since)s AND e.ts < %(until)s"
    " AND (e.ts >= %(rolled)s OR date_trunc('hour', e.ts, 'UTC') IN (SELECT h FROM stale))"
    " AND e.kind = ANY(%(kinds)s) AND NOT (e.kind = 'water' AND e.value IS NOT DISTINCT FROM 0))"
    " SELECT d.room, floor(extract(epoch FROM c.ts - %(since)s) / %(slot_s)s)::int AS slot,"
    " sum(c.events)::int AS events, max(c.last) AS last"
    " FROM counted AS c LEFT JOIN devices AS d ON d.id = c.device_id"
    " GROUP BY d.room, slot"
)


async def slot_counts(conn: Conn, elder_id: str, window: Window) -> list[SlotCount]:
    params = {
        "elder_id": elder_id,
        "since": window.since,
        "until": window.until,
        "rolled": window.rolled_until,
        "slot_s": window.slot_minutes * 60,
        "kinds": list(ACTIVITY_KINDS),
    }
    return await fetch_all(conn, _SLOTS, params, SlotCount)
