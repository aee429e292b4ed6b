"""SQL of the live detection (``gateway.detection``): the fleet as the detectors read it,
the committed events since a cursor, the stored activity history, declared absences, the
detectors' active alerts and the check-in prompts gone unanswered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from psycopg import sql

from alerting.health_repo import OPENED_BY_DETECTOR
from alerting.models import DETECTOR_ACTOR
from gateway.detectors import codes
from store.db import Conn, fetch_all, fetch_rows

# An event's ``ts`` is never more than 7 days before its receipt (older is stored with the
# receive time, flagged ``clock_skew``, contract §1): the feed's read names a ``ts`` bound
# too, so that only the partitions that can hold it are read.
TS_BEFORE_RECEIPT: Final = "8 days"
# How long after a declared absence ends the outing it covered stays explained while the
# elder is not back (a month: longer away than that unheard of is worth a look).
EXCUSED_DAYS: Final = 31


@dataclass(frozen=True, slots=True)
class ElderRow:
    id: str
    living_arrangement: str
    incapacitated: bool
    dementia: bool
    disability_level: str
    inactivity_alert_after_minutes: int | None
    watch: bool


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    elder_id: str | None
    type: str
    room: str | None
    heartbeat_interval_s: int
    online: bool | None
    last_seen: datetime | None


async def elders(conn: Conn, today: date) -> list[ElderRow]:
    """Every elder, with whether a heightened-watch period of their town is in force on
    ``today`` (a local day)."""
    return await fetch_all(
        conn,
        "SELECT e.id, e.living_arrangement, e.incapacitated, e.dementia, e.disability_level,"
        " e.inactivity_alert_after_minutes,"
        " EXISTS (SELECT 1 FROM watch_periods AS w WHERE w.starts_on <= %(on)s::date"
        "   AND w.ends_on >= %(on)s::date AND (w.town IS NULL OR w.town = e.town)) AS watch"
        " FROM elders AS e ORDER BY e.id",
        {"on": today},
        ElderRow,
    )


async def devices(conn: Conn) -> list[DeviceRow]:
    return await fetch_all(
        conn,
        "SELECT id, elder_id, type, room, heartbeat_interval_s, online, last_seen"
        " FROM devices ORDER BY id",
        (),
        DeviceRow,
    )


async def offline_devices(conn: Conn) -> list[str]:
    """The devices whose Last Will stands (status ``offline``)."""
    cur = await conn.execute("SELECT id FROM devices WHERE online = false")
    return [str(row[0]) for row in await cur.fetchall()]


async def fleet_version(conn: Conn) -> tuple[Any, ...]:
    """Something that changes when an elder, a device or a watch period does: the fleet is
    read again only then."""
    rows = await fetch_rows(
        conn,
        "SELECT (SELECT count(*) FROM elders) AS e, (SELECT max(updated_at) FROM elders) AS eu,"
        " (SELECT count(*) FROM devices) AS d, (SELECT max(updated_at) FROM devices) AS du,"
        " (SELECT count(*) FROM watch_periods) AS w, (SELECT max(id) FROM watch_periods) AS wi",
        (),
    )
    return tuple(rows[0].values())


# (device_id, ts, seq, kind, value, received_at, untrusted): epoch seconds, float.
EventRow = tuple[str, float, int | None, str, float | None, float, bool]


# An event as ``EventRow`` (binary: no float is printed and parsed again).
_EVENT_ROW: Final = (
    "SELECT device_id, extract(epoch FROM ts)::float8, seq, kind, value,"
    " extract(epoch FROM received_at)::float8,"
    " flags && ARRAY['clock_skew', 'no_device_time']"
)


async def events_since(conn: Conn, since: datetime, limit: int) -> list[EventRow]:
    """Committed events received after ``since``, oldest receipt first, at most ``limit``."""
    cur = await conn.execute(
        _EVENT_ROW + " FROM events WHERE received_at > %(since)s"
        " AND ts > %(since)s::timestamptz - %(back)s::interval"
        " ORDER BY received_at LIMIT %(limit)s",
        {"since": since, "back": TS_BEFORE_RECEIPT, "limit": limit},
        binary=True,
    )
    rows: list[EventRow] = await cur.fetchall()
    return rows


async def calls_between(conn: Conn, since: datetime, until: datetime) -> list[EventRow]:
    """The calls for help (SOS presses, falls detected) and cancels received after
    ``since`` up to ``until``, oldest receipt first: the partial index ``events_alerting``
    (migration 0040) holds only such events, so hours of them are a small read."""
    cur = await conn.execute(
        _EVENT_ROW + " FROM events WHERE kind IN ('sos', 'fall', 'cancel')"
        " AND received_at > %(since)s AND received_at <= %(until)s ORDER BY received_at",
        {"since": since, "until": until},
        binary=True,
    )
    rows: list[EventRow] = await cur.fetchall()
    return rows


# (device_id, kind, hour, events, last): epoch seconds.
HourRow = tuple[str, str, float, int, float]


async def activity_hours(conn: Conn, start: datetime, end: datetime) -> list[HourRow]:
    """The activity rollup (migration 0048) of every elder's devices between two times,
    oldest hour first."""
    cur = await conn.execute(
        "SELECT device_id, kind, extract(epoch FROM hour)::float8, events,"
        " extract(epoch FROM last)::float8 FROM activity_hourly"
        " WHERE hour >= %s AND hour < %s ORDER BY hour, last",
        (start, end),
    )
    rows: list[HourRow] = await cur.fetchall()
    return rows


async def absences_between(
    conn: Conn, start: datetime, end: datetime
) -> list[tuple[str, float, float]]:
    """The declared absences overlapping ``start``–``end``: (elder id, from, to) in epoch s
    (the history a new leader replays learns nothing of an elder under one)."""
    cur = await conn.execute(
        "SELECT elder_id, extract(epoch FROM starts_at)::float8,"
        " extract(epoch FROM ends_at)::float8"
        " FROM elder_absences WHERE ends_at > %s AND starts_at < %s",
        (start, end),
    )
    return [(str(e), float(a), float(b)) for e, a, b in await cur.fetchall()]


async def absences_now(conn: Conn, now: datetime) -> dict[str, tuple[bool, float]]:
    """Per elder with a declared absence begun by ``now`` and ended less than
    ``EXCUSED_DAYS`` before: whether one is in force now, and the latest moment up to now
    under one (epoch s) — an outing begun before it is explained by it. Read at every
    sweep, so that a withdrawn or a back-dated absence counts as the table says."""
    cur = await conn.execute(
        "SELECT elder_id, bool_or(ends_at > %(now)s),"
        " extract(epoch FROM max(LEAST(ends_at, %(now)s)))::float8"
        " FROM elder_absences WHERE starts_at <= %(now)s AND ends_at > %(since)s"
        " GROUP BY elder_id",
        {"now": now, "since": now - timedelta(days=EXCUSED_DAYS)},
    )
    return {str(e): (bool(live), float(until)) for e, live, until in await cur.fetchall()}


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    id: int
    type: str
    elder_id: str
    status: str
    opened_at: datetime


async def active_alerts(conn: Conn, types: list[str]) -> list[ActiveAlert]:
    """The open or acked alerts of these types about an elder."""
    return await fetch_all(
        conn,
        "SELECT id, type, elder_id, status, opened_at FROM alerts"
        " WHERE status IN ('open', 'acked') AND type = ANY(%s) AND elder_id IS NOT NULL",
        (types,),
        ActiveAlert,
    )


@dataclass(frozen=True, slots=True)
class ActiveDeviceAlert:
    id: int
    device_id: str
    status: str
    opened_at: datetime


async def active_stuck_alerts(conn: Conn) -> list[ActiveDeviceAlert]:
    """The open or acked ``device_offline`` alerts the detectors opened (a stuck sensor)."""
    return await fetch_all(
        conn,
        sql.SQL(
            "SELECT a.id, a.device_id, a.status, a.opened_at FROM alerts a"
            " WHERE a.status IN ('open', 'acked') AND a.type = 'device_offline'"
            " AND a.device_id IS NOT NULL AND {}"
        ).format(OPENED_BY_DETECTOR),
        (DETECTOR_ACTOR,),
        ActiveDeviceAlert,
    )


@dataclass(frozen=True, slots=True)
class MissedPrompt:
    elder_id: str
    device_id: str
    day: Any
    sent_at: datetime
    expired_at: datetime


# An event ``e`` that shows someone at home, as the detectors count life: a kind of
# ``is_activity`` (a check-in press among them), or an appliance switched on — a power
# reading at or above ``switch_w`` whose device's reading before it was below
# (``gateway.detectors.readings.switched_on``): a TV reporting every 15 min while on is not
# someone moving, switching it on is. Without the second, a contacts-only home using its
# kettle and TV all afternoon had its unanswered prompt paged as "nothing has moved at
# home" (seed 3 of the simulator).
_ACTIVE: Final = sql.SQL(
    "(is_activity(e.kind, e.value) OR (e.kind = 'power' AND e.value >= %(switch_w)s"
    " AND (SELECT b.value FROM events AS b WHERE b.device_id = e.device_id"
    "   AND b.kind = 'power' AND b.ts < e.ts ORDER BY b.ts DESC LIMIT 1) < %(switch_w)s))"
)


async def missed_prompts(
    conn: Conn, now: datetime, until: time, zone: str, within: str
) -> list[MissedPrompt]:
    """Check-in prompts whose window (until ``until`` local time on their day) ended within
    ``within`` before ``now``, whose elder has pressed no check-in and done nothing at home
    since the prompt (``_ACTIVE``), is under no declared absence, and has had no
    ``missed_checkin`` alert opened since the window ended."""
    return await fetch_all(
        conn,
        sql.SQL(
            "SELECT p.elder_id, p.device_id, p.day, p.sent_at, x.expired_at"
            " FROM checkin_prompts AS p"
            " CROSS JOIN LATERAL (SELECT ((p.day + %(until)s::time) AT TIME ZONE %(zone)s)"
            "   AS expired_at) AS x"
            " WHERE x.expired_at <= %(now)s AND x.expired_at > %(now)s - %(within)s::interval"
            " AND NOT EXISTS (SELECT 1 FROM events AS e WHERE e.elder_id = p.elder_id"
            "   AND e.ts >= p.sent_at AND e.ts <= %(now)s AND {active})"
            " AND NOT EXISTS (SELECT 1 FROM elder_absences AS a WHERE a.elder_id = p.elder_id"
            "   AND a.starts_at <= %(now)s AND a.ends_at > p.sent_at)"
            " AND NOT EXISTS (SELECT 1 FROM alerts AS al WHERE al.type = 'missed_checkin'"
            "   AND al.elder_id = p.elder_id AND al.opened_at >= x.expired_at)"
            " ORDER BY p.elder_id"
        ).format(active=_ACTIVE),
        {
            "now": now,
            "until": until,
            "zone": zone,
            "within": within,
            "switch_w": codes.POWER_SWITCH_W,
        },
        MissedPrompt,
    )


async def checked_in_since(conn: Conn, elder_ids: list[str], since: datetime) -> set[str]:
    """Those of ``elder_ids`` with a check-in press or any activity at home (``_ACTIVE``)
    stored since."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT DISTINCT e.elder_id FROM events AS e WHERE e.elder_id = ANY(%(elders)s)"
            " AND e.ts >= %(since)s AND {active}"
        ).format(active=_ACTIVE),
        {"elders": elder_ids, "since": since, "switch_w": codes.POWER_SWITCH_W},
    )
    return {str(row[0]) for row in await cur.fetchall()}
