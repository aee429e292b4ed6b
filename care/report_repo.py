"""SQL of the monthly statistics table: one aggregate query over the month's visits and
the files, classified in the database (the function of migration 0010), grouped by town.

Every column but ``not_served`` counts only the elders on file with a class (A, B, C): the
visits of a person the plan does not cover are in no column, so that visits, visited
elders and the rates always describe the same people."""

from __future__ import annotations

from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from care.compliance_repo import ON_FILE
from care.month import Month
from care.repo import CATEGORY_SQL
from store.db import Conn, Row, fetch_rows

# Enough memory for the month's per-elder aggregate (100 000 groups) to stay in memory.
_WORK_MEM: Final = "128MB"

_REPORT: Final = sql.SQL(
    "WITH mv AS ("
    "  SELECT v.elder_id,"
    "   count(*) FILTER (WHERE NOT v.refused) AS n_visits,"
    "   count(*) FILTER (WHERE NOT v.refused AND v.method = 'in_home') AS n_in_home,"
    "   count(*) FILTER (WHERE NOT v.refused AND v.method = 'phone') AS n_phone,"
    "   count(*) FILTER (WHERE NOT v.refused AND v.method = 'video') AS n_video,"
    "   count(*) FILTER (WHERE NOT v.refused AND v.method = 'online') AS n_online,"
    "   count(*) FILTER (WHERE NOT v.refused AND v.source = 'checkin') AS n_device,"
    "   count(*) FILTER (WHERE v.refused) AS n_refused"
    "  FROM visits AS v WHERE v.visited_at >= %(start)s AND v.visited_at < %(end)s"
    "  GROUP BY v.elder_id),"
    " ih AS ("
    "  SELECT v.elder_id, max(v.visited_at) AS last_in_home FROM visits AS v"
    "  WHERE v.method = 'in_home' AND NOT v.refused"
    "  AND v.visited_at >= %(start12)s AND v.visited_at < %(start)s"
    "  GROUP BY v.elder_id),"
    " j AS ("
    "  SELECT e.town, {category} AS category,"
    "   coalesce(e.contact_person, '') <> '' AS has_contact_person,"
    "   NOT e.visit_consent AS refusing,"
    "   coalesce(mv.n_visits, 0) AS n_visits, coalesce(mv.n_in_home, 0) AS n_in_home,"
    "   coalesce(mv.n_phone, 0) AS n_phone, coalesce(mv.n_video, 0) AS n_video,"
    "   coalesce(mv.n_online, 0) AS n_online, coalesce(mv.n_device, 0) AS n_device,"
    "   coalesce(mv.n_refused, 0) AS n_refused,"
    "   CASE WHEN coalesce(mv.n_in_home, 0) > 0 THEN %(start)s ELSE ih.last_in_home END"
    "    AS last_in_home"
    "  FROM elders AS e"
    "  LEFT JOIN mv ON mv.elder_id = e.id"
    "  LEFT JOIN ih ON ih.elder_id = e.id"
    "  WHERE {on_file} AND (%(town)s::text IS NULL OR e.town = %(town)s))"
    " SELECT town,"
    "  count(*) FILTER (WHERE category IS NOT NULL) AS on_file,"
    "  count(*) FILTER (WHERE category = 'A') AS class_a,"
    "  count(*) FILTER (WHERE category = 'B') AS class_b,"
    "  count(*) FILTER (WHERE category = 'C') AS class_c,"
    "  count(*) FILTER (WHERE category IS NULL) AS not_served,"
    "  count(*) FILTER (WHERE category IS NOT NULL AND has_contact_person)"
    "   AS with_contact_person,"
    "  count(*) FILTER (WHERE category IS NOT NULL AND n_visits > 0) AS visited,"
    "  count(*) FILTER (WHERE (category = 'A' AND n_in_home > 0)"
    "   OR (category = 'B' AND n_visits > 0 AND last_in_home >= %(start6)s)"
    "   OR (category = 'C' AND n_visits > 0 AND last_in_home >= %(start12)s)) AS plan_minimum_met,"
    "  sum(n_visits) FILTER (WHERE category IS NOT NULL)::bigint AS visits_total,"
    "  sum(n_in_home) FILTER (WHERE category IS NOT NULL)::bigint AS visits_in_home,"
    "  sum(n_phone) FILTER (WHERE category IS NOT NULL)::bigint AS visits_phone,"
    "  sum(n_video) FILTER (WHERE category IS NOT NULL)::bigint AS visits_video,"
    "  sum(n_online) FILTER (WHERE category IS NOT NULL)::bigint AS visits_online,"
    "  sum(n_device) FILTER (WHERE category IS NOT NULL)::bigint AS online_from_devices,"
    "  count(*) FILTER (WHERE category IS NOT NULL AND refusing) AS refusing_elders,"
    "  sum(n_refused) FILTER (WHERE category IS NOT NULL)::bigint AS refused_visits"
    " FROM j GROUP BY town ORDER BY town"
)

# An elder's alerts by the elder's town, and a town-level alert (a storm's incident, a
# town's overdue visits: no elder, its town kept on the alert) by its own.
_ALERTS: Final = sql.SQL(
    "SELECT coalesce(e.town, a.town) AS town, a.type, count(*) AS n"
    " FROM alerts AS a LEFT JOIN elders AS e ON e.id = a.elder_id"
    " WHERE (e.id IS NOT NULL OR a.town IS NOT NULL)"
    " AND a.opened_at >= %(start)s AND a.opened_at < %(end)s"
    " AND (%(town)s::text IS NULL OR coalesce(e.town, a.town) = %(town)s)"
    " GROUP BY 1, a.type"
)


async def town_rows(
    conn: Conn, month: Month, town: str | None, on: date, tz: ZoneInfo
) -> list[Row]:
    """One row per town (``town`` None: every town) of the month's counts; the class is
    the one on day ``on``."""
    start, end = month.bounds(tz)
    params = {
        "start": start,
        "end": end,
        "last": month.last_day,
        "start6": month.shift(-5).bounds(tz)[0],
        "start12": month.shift(-11).bounds(tz)[0],
        "town": town,
        "on": on,
    }
    await conn.execute("SELECT set_config('work_mem', %s, true)", (_WORK_MEM,))
    # Compiling this one query's expressions costs more than it saves (measured ~0.2 s).
    await conn.execute("SELECT set_config('jit', 'off', true)")
    return await fetch_rows(conn, _REPORT.format(category=CATEGORY_SQL, on_file=ON_FILE), params)


async def alert_counts(
    conn: Conn, month: Month, town: str | None, tz: ZoneInfo
) -> dict[tuple[str | None, str], int]:
    """Alerts opened in the month by (town, type); empty while no alerts table exists."""
    cur = await conn.execute("SELECT to_regclass('alerts') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return {}
    start, end = month.bounds(tz)
    try:
        async with conn.transaction():
            cur = await conn.execute(_ALERTS, {"start": start, "end": end, "town": town})
            rows = await cur.fetchall()
    except psycopg.errors.UndefinedColumn:
        # An alerts table of another shape (an older schema): report no alerts, not an error.
        return {}
    return {(r[0], r[1]): int(r[2]) for r in rows}
