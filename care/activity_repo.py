"""SQL of an elder's activity timeline: activity events per room and time slot."""

from __future__ import annotations

from typing import Final

from psycopg import sql

from care.activity import ACTIVITY_KINDS, SlotCount, Window
from store.db import Conn, fetch_all

# Events stored under the elder (events_elder_ts), each in the room of its device as it is
# registered now. Water counts only when some ran (a meter reports 0 on a timer).
_SLOTS: Final = sql.SQL(
    "SELECT d.room, floor(extract(epoch FROM e.ts - %(since)s) / %(slot_s)s)::int AS slot,"
    " count(*)::int AS events, max(e.ts) AS last"
    " FROM events AS e LEFT JOIN devices AS d ON d.id = e.device_id"
    " WHERE e.elder_id = %(elder_id)s AND e.ts >= %(since)s AND e.ts < %(until)s"
    " AND e.kind = ANY(%(kinds)s) AND NOT (e.kind = 'water' AND e.value IS NOT DISTINCT FROM 0)"
    " GROUP BY d.room, slot"
)


async def slot_counts(conn: Conn, elder_id: str, window: Window) -> list[SlotCount]:
    params = {
        "elder_id": elder_id,
        "since": window.since,
        "until": window.until,
        "slot_s": window.slot_minutes * 60,
        "kinds": list(ACTIVITY_KINDS),
    }
    return await fetch_all(conn, _SLOTS, params, SlotCount)
