"""The ingest write path: one transaction per batch of events, dead letters and status changes.

Events go through a per-connection temporary staging table with binary COPY, then into
``events`` with ``ON CONFLICT (device_id, ts, seq) DO NOTHING``, so that a redelivered or
repeated event is stored once. The device rows (last seen, battery, signal, online), the
dead letters of the same batch, and whatever the caller's in-transaction steps record from
the new events are written in the same transaction: the batch is either wholly committed or
not at all, and the gateway acknowledges its MQTT messages only after.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, cast

import orjson
from psycopg import sql

from devices.dead_letters_repo import DeadLetter, write_dead_letters
from devices.retained import RETAINED, RETAINED_KEY
from devices.schema import RECEIVE_TIME_FLAGS, Event
from store.db import Conn
from store.partitions import DAYS_BACK

_STAGE = sql.Identifier("tanfang_ingest_stage")

# A device that lost its PUBACK resends when it reconnects, within seconds to a minute: a
# copy without the DUP bit, of the same seq, kind, value and device time, stored this
# recently is that resend. The window is short because a device whose seq counter restarted
# (a reboot) reuses old seqs for new events, an SOS included: matched against days of
# history they would be dropped. Within two minutes, a restarted counter repeating the same
# seq with the same kind and value would be taken for a resend; that is the price.
RESEND_WINDOW: Final = timedelta(minutes=2)

# ON COMMIT DELETE ROWS empties the table at the end of every batch's transaction, so a
# batch never sees the rows of the one before, even after a failed commit.
_CREATE_STAGE = sql.SQL(
    "CREATE TEMPORARY TABLE IF NOT EXISTS {} ("
    " device_id text NOT NULL, ts timestamptz NOT NULL, seq bigint, kind text NOT NULL,"
    " value double precision, battery smallint, rssi smallint, flags text[] NOT NULL,"
    " extra text, elder_id text, received_at timestamptz NOT NULL"
    ") ON COMMIT DELETE ROWS"
).format(_STAGE)

_EVENT_COLUMNS = (
    "device_id",
    "ts",
    "seq",
    "kind",
    "value",
    "battery",
    "rssi",
    "flags",
    "extra",
    "elder_id",
    "received_at",
)
_ELDER: Final = _EVENT_COLUMNS.index("elder_id")
_EVENT_TYPES = (
    "text",
    "timestamptz",
    "int8",
    "text",
    "float8",
    "int2",
    "int2",
    "text[]",
    "text",
    "text",
    "timestamptz",
)

_COPY_STAGE = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
    _STAGE, sql.SQL(", ").join(map(sql.Identifier, _EVENT_COLUMNS))
)

_INSERT_EVENTS = sql.SQL(
    "INSERT INTO events (device_id, ts, seq, kind, value, battery, rssi, flags, extra,"
    " elder_id, received_at)"
    " SELECT device_id, ts, seq, kind, value, battery, rssi, flags, extra::jsonb,"
    " elder_id, received_at FROM {}"
    " ON CONFLICT (device_id, ts, seq) DO NOTHING"
).format(_STAGE)
_INSERT_EVENTS_RETURNING = sql.SQL("{} RETURNING device_id, ts, seq").format(_INSERT_EVENTS)

# Battery and signal follow the newest event of the batch that carries them, and only when
# that event is not older than what the row already shows (a late redelivery must not
# overwrite a fresher reading).
# A busy device would rewrite its row with every batch; the row moves only when last_seen
# gains more than this, or a quarter of the device's heartbeat interval when that is shorter
# (or the device comes online, or its battery changes). Offline detection counts in
# heartbeat intervals, so the slack stays well inside one, and PostgreSQL is spared a row
# version per device per batch.
LAST_SEEN_RESOLUTION: Final = timedelta(seconds=30)

_UPDATE_DEVICES = sql.SQL(
    "UPDATE devices d SET"
    " last_seen = GREATEST(d.last_seen, s.last_ts),"
    " battery = CASE WHEN d.last_seen IS NULL OR s.last_ts >= d.last_seen"
    "   THEN COALESCE(s.battery, d.battery) ELSE d.battery END,"
    " rssi = CASE WHEN d.last_seen IS NULL OR s.last_ts >= d.last_seen"
    "   THEN COALESCE(s.rssi, d.rssi) ELSE d.rssi END,"
    " online = true,"
    " status = 'online',"
    " status_changed_at = CASE WHEN d.status = 'online' THEN d.status_changed_at"
    "   ELSE s.last_received END"
    " FROM (SELECT device_id, max(ts) AS last_ts, max(received_at) AS last_received,"
    "   (array_agg(battery ORDER BY ts DESC) FILTER (WHERE battery IS NOT NULL))[1] AS battery,"
    "   (array_agg(rssi ORDER BY ts DESC) FILTER (WHERE rssi IS NOT NULL))[1] AS rssi"
    "   FROM {} GROUP BY device_id) s"
    " WHERE d.id = s.device_id"
    "   AND (d.last_seen IS NULL OR d.status <> 'online'"
    "     OR s.last_ts > d.last_seen"
    "       + LEAST({resolution}, make_interval(secs => d.heartbeat_interval_s / 4.0))"
    "     OR (s.last_ts >= d.last_seen AND s.battery IS DISTINCT FROM d.battery"
    "       AND s.battery IS NOT NULL))"
).format(_STAGE, resolution=sql.Literal(LAST_SEEN_RESOLUTION))

_UPDATE_STATUS = sql.SQL(
    "UPDATE devices d SET"
    " online = s.online,"
    " status = CASE WHEN s.online THEN 'online' ELSE 'offline' END,"
    " status_changed_at = CASE WHEN d.online IS NOT DISTINCT FROM s.online"
    "   AND d.status_changed_at IS NOT NULL THEN d.status_changed_at ELSE s.at END"
    " FROM unnest(%s::text[], %s::boolean[], %s::timestamptz[]) AS s(id, online, at)"
    " WHERE d.id = s.id"
)

# An event stored with its receive time (no device time, or a skewed one) gets a new ts on
# each delivery, so the (device_id, ts, seq) key cannot recognise a second copy. Two rules
# find an earlier copy, also stored with its receive time, of the same device, seq and device
# time:
# * a broker redelivery (MQTT DUP set: the gateway had the message and did not acknowledge
#   it) matches within the window the gateway keeps receive-time events for (DAYS_BACK);
# * a first delivery (DUP unset) is a device resending after it lost its own PUBACK (the
#   broker takes the resend as a new message), or a device whose seq counter restarted. It
#   matches only a copy of the same kind and value stored within RESEND_WINDOW.
_STORED_BEFORE = sql.SQL(
    "SELECT s.n FROM unnest(%s::text[], %s::int8[], %s::text[], %s::float8[],"
    " %s::timestamptz[], %s::jsonb[], %s::boolean[])"
    " WITH ORDINALITY AS s(device_id, seq, kind, value, received_at, device_ts, redelivered, n)"
    " WHERE EXISTS (SELECT 1 FROM events e WHERE e.device_id = s.device_id AND e.seq = s.seq"
    "   AND e.ts >= s.received_at - CASE WHEN s.redelivered THEN {redelivery} ELSE {resend} END"
    "   AND e.ts <= s.received_at"
    "   AND e.flags && %s::text[]"
    "   AND (e.extra -> 'device_ts') IS NOT DISTINCT FROM s.device_ts"
    "   AND (s.redelivered OR (e.kind = s.kind AND e.value IS NOT DISTINCT FROM s.value)))"
).format(redelivery=sql.Literal(timedelta(days=DAYS_BACK)), resend=sql.Literal(RESEND_WINDOW))

# A retained delivery (``devices.retained``) is stored once per device and payload: an
# earlier event of the device keyed the same is that delivery, whenever it was stored.
_RETAINED_BEFORE = sql.SQL(
    "SELECT s.n FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS s(device_id, key, n)"
    " WHERE EXISTS (SELECT 1 FROM events e WHERE e.device_id = s.device_id"
    "   AND e.flags @> %s::text[] AND e.extra ->> {key} = s.key)"
).format(key=sql.Literal(RETAINED_KEY))

# A step run inside a batch's transaction (``write_batch(steps=…)``): called with the
# connection, the batch's new events and the elder of each (None: device not assigned).
TransactionStep = Callable[[Conn, Sequence[Event], Sequence[str | None]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class StatusChange:
    device_id: str
    online: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one committed batch changed: ``stored`` events were new (the others were
    already stored). ``new`` lists their indexes into the batch's events, when asked for."""

    stored: int
    new: list[int] | None = None


_staged: weakref.WeakSet[Conn] = weakref.WeakSet()


async def ensure_stage(conn: Conn) -> None:
    """Make the connection's staging table; ``write_batch`` does it when needed, but only a
    caller that holds no transaction open may let it (it commits)."""
    if conn not in _staged:
        # Committed on its own so that a failed batch cannot roll the table back.
        await conn.execute(_CREATE_STAGE)
        await conn.commit()
        _staged.add(conn)


def event_row(event: Event, elder_id: str | None, extra_json: str | None) -> tuple[object, ...]:
    return (
        event.device_id,
        event.ts,
        event.seq,
        event.kind,
        event.value,
        event.battery,
        event.rssi,
        list(event.flags),
        extra_json,
        elder_id,
        event.received_at,
    )


async def write_batch(
    conn: Conn,
    events: Sequence[Event],
    rows: Sequence[tuple[object, ...]],
    dead_letters: Sequence[DeadLetter],
    statuses: Sequence[StatusChange],
    *,
    which: bool = False,
    suspects: Sequence[tuple[int, bool]] = (),
    steps: Sequence[TransactionStep] = (),
    touch_devices: bool = True,
) -> WriteResult:
    """Write one batch in one transaction. ``rows`` are ``event_row`` of ``events``.

    ``suspects`` are (index, redelivered) of the events with a seq that carry their receive
    time as ``ts``, redelivered being the MQTT DUP bit; those already stored by an earlier
    copy are recognised by device, seq and device time (``_STORED_BEFORE``) and not stored
    again. Events flagged ``retained`` among them are recognised by their payload's key
    instead (``_RETAINED_BEFORE``, ``devices.retained``).

    With ``which``, the result tells which events were new (RETURNING costs the database
    a fifth more time, so only when someone needs it). The caller has removed repeats of
    one (device_id, ts, seq) within the batch, so each returned key names one event.

    ``steps`` run in the same transaction, after the events are inserted, with the events
    that were new and their elders (none when no event was new): what they write commits
    with the batch or not at all, and an error of theirs rolls the whole batch back.

    Without ``touch_devices`` the device rows (last seen, battery, online) are left alone:
    events replayed from the past say nothing of the device now.
    """
    which = which or bool(steps)
    result = WriteResult(stored=0, new=[] if which else None)
    if rows:
        await ensure_stage(conn)
    async with conn.transaction():
        if rows:
            result = await _insert_events(
                conn, events, rows, which, suspects, touch_devices=touch_devices
            )
        if steps and result.new:
            new_events = [events[i] for i in result.new]
            elder_ids = [cast("str | None", rows[i][_ELDER]) for i in result.new]
            for step in steps:
                await step(conn, new_events, elder_ids)
        if dead_letters:
            await write_dead_letters(conn, dead_letters)
        if statuses:
            await conn.execute(
                _UPDATE_STATUS,
                (
                    [s.device_id for s in statuses],
                    [s.online for s in statuses],
                    [s.at for s in statuses],
                ),
            )
    return result


async def _insert_events(
    conn: Conn,
    events: Sequence[Event],
    rows: Sequence[tuple[object, ...]],
    which: bool,
    suspects: Sequence[tuple[int, bool]],
    *,
    touch_devices: bool,
) -> WriteResult:
    keep = await _not_stored_before(conn, events, suspects) if suspects else None
    if keep is None:
        return await _write_events(conn, events, rows, which, touch_devices)
    result = await _write_events(
        conn, [events[i] for i in keep], [rows[i] for i in keep], which, touch_devices
    )
    if result.new is None:
        return result
    return WriteResult(stored=result.stored, new=[keep[j] for j in result.new])


async def _write_events(
    conn: Conn,
    events: Sequence[Event],
    rows: Sequence[tuple[object, ...]],
    which: bool,
    touch_devices: bool,
) -> WriteResult:
    async with conn.cursor() as cur:
        async with cur.copy(_COPY_STAGE) as copy:
            copy.set_types(list(_EVENT_TYPES))
            for row in rows:
                await copy.write_row(row)
        if not which:
            await cur.execute(_INSERT_EVENTS)
            stored = cur.rowcount
            if touch_devices:
                await cur.execute(_UPDATE_DEVICES)
            return WriteResult(stored=stored)
        await cur.execute(_INSERT_EVENTS_RETURNING)
        inserted = {(d, ts, seq) for d, ts, seq in await cur.fetchall()}
        if touch_devices:
            await cur.execute(_UPDATE_DEVICES)
    if len(inserted) == len(events):
        return WriteResult(stored=len(events), new=list(range(len(events))))
    # A NULL seq never conflicts (NULLs are distinct in the unique index), so such an
    # event is always new.
    new = [
        i for i, e in enumerate(events) if e.seq is None or (e.device_id, e.ts, e.seq) in inserted
    ]
    return WriteResult(stored=len(new), new=new)


async def _not_stored_before(
    conn: Conn, events: Sequence[Event], suspects: Sequence[tuple[int, bool]]
) -> list[int] | None:
    """Indexes of ``events`` to store, or None when every suspect is new after all."""
    retained = [i for i, _ in suspects if RETAINED in events[i].flags]
    others = [(i, r) for i, r in suspects if RETAINED not in events[i].flags]
    seen = await _retained_before(conn, events, retained) if retained else set()
    if others:
        seen |= await _redelivered_before(conn, events, others)
    if not seen:
        return None
    return [i for i in range(len(events)) if i not in seen]


async def _retained_before(conn: Conn, events: Sequence[Event], chosen: list[int]) -> set[int]:
    cur = await conn.execute(
        _RETAINED_BEFORE,
        (
            [events[i].device_id for i in chosen],
            [(events[i].extra or {}).get(RETAINED_KEY) for i in chosen],
            [RETAINED],
        ),
    )
    return {chosen[n - 1] for (n,) in await cur.fetchall()}


async def _redelivered_before(
    conn: Conn, events: Sequence[Event], suspects: Sequence[tuple[int, bool]]
) -> set[int]:
    chosen = [events[i] for i, _ in suspects]
    cur = await conn.execute(
        _STORED_BEFORE,
        (
            [e.device_id for e in chosen],
            [e.seq for e in chosen],
            [e.kind for e in chosen],
            [e.value for e in chosen],
            [e.received_at for e in chosen],
            [device_ts_json(e) for e in chosen],
            [redelivered for _, redelivered in suspects],
            sorted(RECEIVE_TIME_FLAGS),
        ),
    )
    return {suspects[n - 1][0] for (n,) in await cur.fetchall()}


def device_ts_json(event: Event) -> str | None:
    """The device's own time of an event stored at its receive time, as JSON (None: none)."""
    if event.extra is None or "device_ts" not in event.extra:
        return None
    return orjson.dumps(event.extra["device_ts"]).decode()
