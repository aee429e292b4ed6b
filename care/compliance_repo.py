"""SQL behind compliance and the due list: one query for one elder's month, one query for
a town's month. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from psycopg import sql

from care.compliance import VisitFact, WatchPeriod
from care.due import TownElder
from care.models import Elder
from care.month import Month
from care.repo import CATEGORY_SQL
from care.visits import Visit
from store.db import Conn, fetch_row, fetch_rows

# A watch week may begin up to 6 days before the month or end up to 6 days after it.
NEAR: Final = timedelta(days=7)


# On file by the month's end: opened (filed_on) on or before the month's last day; a row
# without filed_on counts from the day it was created (migration 0011).
ON_FILE: Final = sql.SQL("coalesce(e.filed_on <= %(last)s, e.created_at < %(end)s)")


@dataclass(frozen=True, slots=True)
class ElderMonth:
    """Everything the compliance answer needs about one elder and one month."""

    elder: Elder
    file: dict[str, Any]
    visits: list[Visit]
    last_in_home_at: datetime | None
    watch: list[WatchPeriod]


_ONE_ELDER: Final = sql.SQL(
    "SELECT e.*,"
    " (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.visited_at, v.id), '[]'::jsonb)"
    "    FROM visits AS v WHERE v.elder_id = e.id"
    "    AND v.visited_at >= %(near_from)s AND v.visited_at < %(near_to)s) AS _near,"
    " (SELECT v.visited_at FROM visits AS v WHERE v.elder_id = e.id"
    "    AND v.method = 'in_home' AND NOT v.refused AND v.visited_at < %(end)s"
    "    ORDER BY v.visited_at DESC LIMIT 1) AS _last_in_home,"
    " (SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.starts_on, w.id), '[]'::jsonb)"
    "    FROM watch_periods AS w WHERE w.starts_on <= %(last)s AND w.ends_on >= %(first)s"
    "    AND (w.town IS NULL OR w.town = e.town)) AS _watch"
    " FROM elders AS e WHERE e.id = %(id)s"
)


def _bounds(month: Month, tz: ZoneInfo) -> dict[str, Any]:
    start, end = month.bounds(tz)
    return {
        "start": start,
        "end": end,
        "near_from": start - NEAR,
        "near_to": end + NEAR,
        "first": month.first_day,
        "last": month.last_day,
    }


def _watch(rows: list[dict[str, Any]]) -> list[WatchPeriod]:
    return [
        WatchPeriod(
            int(w["id"]),
            w["town"],
            date.fromisoformat(w["starts_on"]),
            date.fromisoformat(w["ends_on"]),
            str(w["reason"]),
            int(w["min_visits_per_week"]),
        )
        for w in rows
    ]


async def elder_month(conn: Conn, elder_id: str, month: Month, tz: ZoneInfo) -> ElderMonth | None:
    """The elder's file, visits near the month, last in-home visit by the month's end and
    the watch periods of the month — in one query."""
    row = await fetch_row(conn, _ONE_ELDER, {**_bounds(month, tz), "id": elder_id})
    if row is None:
        return None
    near = row.pop("_near")
    last_in_home = row.pop("_last_in_home")
    watch = row.pop("_watch")
    return ElderMonth(
        elder=Elder.model_validate(row),
        file=row,
        visits=[Visit.model_validate(v) for v in near],
        last_in_home_at=last_in_home,
        watch=_watch(watch),
    )


_TOWN: Final = sql.SQL(
    "SELECT e.id, e.name, e.village, e.town, {category} AS category, e.visit_consent,"
    " e.contact_person,"
    " lv.visited_at AS last_visit_at, lv.method AS last_visit_method,"
    " lih.visited_at AS last_in_home_at, nv.visits AS near_visits"
    " FROM elders AS e"
    " LEFT JOIN LATERAL (SELECT v.visited_at, v.method FROM visits AS v"
    "   WHERE v.elder_id = e.id AND NOT v.refused AND v.visited_at < %(end)s"
    "   ORDER BY v.visited_at DESC LIMIT 1) AS lv ON true"
    " LEFT JOIN LATERAL (SELECT v.visited_at FROM visits AS v"
    "   WHERE v.elder_id = e.id AND v.method = 'in_home' AND NOT v.refused"
    "   AND v.visited_at < %(end)s ORDER BY v.visited_at DESC LIMIT 1) AS lih ON true"
    " LEFT JOIN LATERAL (SELECT array_agg(v.visited_at) AS visits FROM visits AS v"
    "   WHERE v.elder_id = e.id AND NOT v.refused"
    "   AND v.visited_at >= %(near_from)s AND v.visited_at < %(near_to)s) AS nv ON true"
    " WHERE (%(town)s::text IS NULL OR e.town = %(town)s) AND {on_file}"
    " AND {category} IS NOT NULL"
    " ORDER BY e.id"
)


async def town_month(
    conn: Conn, town: str | None, month: Month, on: date, tz: ZoneInfo
) -> list[TownElder]:
    """The classified elders of ``town`` (all towns: None) on file by the month's end,
    with their class on day ``on``, last visits, and visits near the month."""
    query = _TOWN.format(category=CATEGORY_SQL, on_file=ON_FILE)
    rows = await fetch_rows(conn, query, {**_bounds(month, tz), "town": town, "on": on})
    return [
        TownElder(
            elder_id=row["id"],
            town=row["town"],
            category=row["category"],
            visit_consent=row["visit_consent"],
            contact_person=row["contact_person"],
            last_visit_at=row["last_visit_at"],
            last_visit_method=row["last_visit_method"],
            last_in_home_at=row["last_in_home_at"],
            near_visits=[VisitFact(at, "any") for at in row["near_visits"] or ()],
            name=row["name"],
            village=row["village"],
        )
        for row in rows
    ]
