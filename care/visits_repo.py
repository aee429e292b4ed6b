"""SQL of visits, and of check-ins turned into online visits. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

from psycopg import sql

from care.visits import Evidence, Visit, VisitCreate
from store.db import Condition, Conn, equals, fetch_all, fetch_one, where, within

# Every field of a visit is a column of ``visits``, but its evidence (``visit_evidence``).
_COLUMNS: Final = tuple(name for name in Visit.model_fields if name != "evidence")
_COLUMN_LIST: Final = sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))


async def insert_visit(
    conn: Conn, visit: VisitCreate, day: date, recorded_by: str, *, key: str | None = None
) -> tuple[Visit, bool]:
    """Store a visit recorded by a person; ``day`` is its local day. With an idempotency
    ``key``, a second insert by the same ``recorded_by`` with the same key stores nothing
    and gives back the first visit. Returns the visit and whether it was stored now."""
    params = {**visit.model_dump(), "day": day, "recorded_by": recorded_by, "key": key}
    params["follow_up"] = list(params["follow_up"])
    stored = await fetch_one(conn, _INSERT, params, Visit)
    if stored is not None:
        return stored, True
    first = await fetch_one(conn, _BY_KEY, params, Visit)
    assert first is not None  # the conflicting row, committed before ours could insert
    return first, False


_INSERT: Final = sql.SQL(
    "INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor, findings,"
    " refused, follow_up, follow_up_notes, source, recorded_by, idempotency_key)"
    " VALUES (%(elder_id)s, %(method)s, %(visited_at)s, %(day)s, %(visitor)s, %(findings)s,"
    " %(refused)s, %(follow_up)s, %(follow_up_notes)s, 'manual', %(recorded_by)s, %(key)s)"
    " ON CONFLICT (recorded_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
    " RETURNING {}"
).format(_COLUMN_LIST)
_BY_KEY: Final = sql.SQL(
    "SELECT {} FROM visits WHERE recorded_by = %(recorded_by)s AND idempotency_key = %(key)s"
).format(_COLUMN_LIST)


async def list_visits(
    conn: Conn,
    elder_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    before_id: int | None = None,
    limit: int = 500,
) -> list[Visit]:
    """The elder's visits in [start, end), newest first (then by id, for paging)."""
    filters = where(
        equals("elder_id", elder_id),
        within("visited_at", start, end),
        None if before_id is None else Condition(_BEFORE, {"before": before_id}),
    )
    query = sql.SQL("SELECT {} FROM visits{} ORDER BY visited_at DESC, id DESC LIMIT {}").format(
        _COLUMN_LIST, filters.clause, sql.Literal(limit)
    )
    return await fetch_all(conn, query, filters.params, Visit)


# A keyset cursor: the visits after the one given, in the order of the list.
_BEFORE: Final = sql.SQL(
    "(visited_at, id) < (SELECT visited_at, id FROM visits WHERE id = %(before)s)"
)


async def evidence_for(conn: Conn, visit_ids: Sequence[int]) -> dict[int, list[Evidence]]:
    """The check-in presses (device, event time) behind each of these online visits, first
    press first; visits without any are left out."""
    if not visit_ids:
        return {}
    cur = await conn.execute(
        "SELECT visit_id, device_id, event_ts FROM visit_evidence WHERE visit_id = ANY(%s)"
        " ORDER BY visit_id, event_ts, device_id",
        (list(visit_ids),),
    )
    found: dict[int, list[Evidence]] = {}
    for visit_id, device_id, event_ts in await cur.fetchall():
        found.setdefault(visit_id, []).append(Evidence(device_id=device_id, event_ts=event_ts))
    return found


async def record_checkins(
    conn: Conn, presses: Sequence[tuple[str, str | None, datetime, date]]
) -> int:
    """Turn check-in presses (device id, elder id if known, event time, local day) into
    online visits; an unknown elder is looked up in the devices table.

    One visit per elder per local day, the earliest press being its source (a press that
    arrives late but happened earlier takes the place); every press is kept as evidence.
    Presses of devices without an elder are skipped. Idempotent: a redelivered press
    changes nothing. Returns how many visits were made or moved to an earlier press."""
    if not presses:
        return 0
    columns = tuple(list(column) for column in zip(*presses, strict=True))
    cur = await conn.execute(_UPSERT_CHECKIN_VISITS, columns)
    changed = cur.rowcount
    await conn.execute(_INSERT_EVIDENCE, columns)
    return max(changed, 0)


_PRESSES: Final = sql.SQL(
    "WITH presses AS ("
    " SELECT coalesce(p.elder_id, d.elder_id) AS elder_id, p.device_id, p.ts, p.day"
    " FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::date[])"
    " AS p (device_id, elder_id, ts, day)"
    " LEFT JOIN devices AS d ON d.id = p.device_id"
    " WHERE coalesce(p.elder_id, d.elder_id) IS NOT NULL)"
)
_UPSERT_CHECKIN_VISITS: Final = sql.SQL(
    "{presses}, firsts AS ("
    " SELECT DISTINCT ON (elder_id, day) elder_id, device_id, ts, day FROM presses"
    " ORDER BY elder_id, day, ts, device_id)"
    " INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor, source,"
    " source_device_id, source_event_ts, recorded_by)"
    " SELECT elder_id, 'online', ts, day, NULL, 'checkin', device_id, ts, 'device'"
    " FROM firsts"
    " ON CONFLICT (elder_id, visit_day) WHERE source = 'checkin' DO UPDATE"
    " SET visited_at = EXCLUDED.visited_at, source_device_id = EXCLUDED.source_device_id,"
    " source_event_ts = EXCLUDED.source_event_ts"
    " WHERE EXCLUDED.visited_at < visits.visited_at"
).format(presses=_PRESSES)
_INSERT_EVIDENCE: Final = sql.SQL(
    "{presses} INSERT INTO visit_evidence (visit_id, device_id, event_ts)"
    " SELECT v.id, p.device_id, p.ts FROM presses AS p"
    " JOIN visits AS v ON v.elder_id = p.elder_id AND v.visit_day = p.day"
    " AND v.source = 'checkin'"
    " ON CONFLICT (device_id, event_ts) DO NOTHING"
).format(presses=_PRESSES)


async def unrecorded_checkins(
    conn: Conn, kind: str, since: datetime
) -> list[tuple[str, str, datetime]]:
    """Stored presses of ``kind`` since ``since`` that no online visit holds as evidence
    (the in-transaction step failed on their batch): (device id, elder id, press time).

    Only presses stored with an elder who is still on file: a press of a device without an
    elder then was nobody's visit, and today's elder of the device may not be that day's."""
    cur = await conn.execute(_UNRECORDED_CHECKINS.format(kind=sql.Literal(kind)), (since,))
    return [(device_id, elder_id, ts) for device_id, elder_id, ts in await cur.fetchall()]


# The kind is a literal, not a parameter, so that the planner uses the partial index of
# check-in events (events_checkins, migration 0025).
_UNRECORDED_CHECKINS: Final = sql.SQL(
    "SELECT e.device_id, e.elder_id, e.ts FROM events AS e"
    " JOIN elders AS el ON el.id = e.elder_id"
    " WHERE e.kind = {kind} AND e.ts >= %s"
    " AND NOT EXISTS (SELECT 1 FROM visit_evidence AS v"
    " WHERE v.device_id = e.device_id AND v.event_ts = e.ts)"
    " ORDER BY e.ts"
)
