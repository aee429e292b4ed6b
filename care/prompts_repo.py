"""SQL of check-in prompts: who could be prompted today, and the once-a-day claim."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from psycopg import sql

from care.models import PromptCandidate
from care.month import Month, day_start
from care.repo import CATEGORY_SQL
from store.db import Conn, fetch_all

# One button an elder: the one online now, else the one heard from last, else the first.
_CANDIDATES: Final = sql.SQL(
    "SELECT DISTINCT ON (e.id) d.id AS device_id, e.id AS elder_id,"
    " {category} AS category, e.visit_consent,"
    " EXISTS (SELECT 1 FROM visits AS v WHERE v.elder_id = e.id AND NOT v.refused"
    "   AND v.visited_at >= %(month_start)s AND v.visited_at < %(month_end)s)"
    "   AS visited_this_month,"
    " EXISTS (SELECT 1 FROM visits AS v WHERE v.elder_id = e.id AND NOT v.refused"
    "   AND v.visited_at >= %(day_start)s AND v.visited_at < %(day_end)s)"
    "   AS checked_in_today,"
    " EXISTS (SELECT 1 FROM watch_periods AS w WHERE w.starts_on <= %(on)s"
    "   AND w.ends_on >= %(on)s AND (w.town IS NULL OR w.town = e.town)) AS under_watch,"
    " EXISTS (SELECT 1 FROM checkin_prompts AS p WHERE p.elder_id = e.id"
    "   AND p.day = %(on)s) AS prompted_today"
    " FROM devices AS d JOIN elders AS e ON e.id = d.elder_id"
    " WHERE d.type = 'sos_button' AND e.visit_consent"
    " AND {category} IN ('B', 'C')"
    " ORDER BY e.id, d.online IS TRUE DESC, d.last_seen DESC NULLS LAST, d.id"
)


async def candidates(conn: Conn, month: Month, today: date, tz: ZoneInfo) -> list[PromptCandidate]:
    """One Ping An Tong button of each class B/C elder who accepts visits, with what the
    rule needs to decide (care.prompts.should_prompt). "Checked in today" is any visit
    today; "prompted today" is a prompt to any of the elder's buttons."""
    month_start, month_end = month.bounds(tz)
    params = {
        "month_start": month_start,
        "month_end": month_end,
        "day_start": day_start(today, tz),
        "day_end": day_start(date.fromordinal(today.toordinal() + 1), tz),
        "on": today,
    }
    return await fetch_all(conn, _CANDIDATES.format(category=CATEGORY_SQL), params, PromptCandidate)


async def claim(
    conn: Conn, device_id: str, *, elder_id: str, day: date, now: datetime, prompt_id: str
) -> bool:
    """Take the day's prompt of this elder on this device; False when another round or
    gateway has it, for this device or for another button of the same elder (both keys of
    checkin_prompts: (device_id, day) and (elder_id, day))."""
    cur = await conn.execute(
        "INSERT INTO checkin_prompts (device_id, day, elder_id, prompt_id, sent_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (device_id, day, elder_id, prompt_id, now),
    )
    return cur.rowcount == 1


async def release(conn: Conn, device_id: str, day: date) -> None:
    """Give back a claim whose prompt could not be sent."""
    await conn.execute(
        "DELETE FROM checkin_prompts WHERE device_id = %s AND day = %s", (device_id, day)
    )
