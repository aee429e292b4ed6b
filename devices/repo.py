"""SQL of the fleet as the API manages it: devices, reads of their events, dead letters.

The gateway's own writes live in ``devices.ingest_repo``. Callers own the transaction.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow, dict_row

from devices.models import (
    PAYLOAD_SHOWN_BYTES,
    DeadLetterPublic,
    DeviceCreate,
    DevicePublic,
    EventPublic,
)
from store.errors import StoreError
from store.statements import assignments, insert_into

Conn = AsyncConnection[TupleRow]

_DEVICE_COLUMNS: Final = tuple(DevicePublic.model_fields)
_DEVICE_LIST: Final = sql.SQL(", ").join(map(sql.Identifier, _DEVICE_COLUMNS))
_WRITABLE: Final = frozenset(DeviceCreate.model_fields) - {"id"}


class DuplicateDeviceError(StoreError):
    """A device with this id is already registered."""


class UnknownElderError(StoreError):
    """The elder a device should belong to is not on file."""


async def insert_device(conn: Conn, device: DeviceCreate) -> DevicePublic:
    values = device.model_dump()
    query = sql.SQL("{} RETURNING {}").format(insert_into("devices", values), _DEVICE_LIST)
    try:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, values)
            row = await cur.fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise DuplicateDeviceError(device.id) from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise UnknownElderError(str(device.elder_id)) from exc
    assert row is not None
    return DevicePublic.model_validate(row)


async def get_device(conn: Conn, device_id: str) -> DevicePublic | None:
    query = sql.SQL("SELECT {} FROM devices WHERE id = %s").format(_DEVICE_LIST)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, (device_id,))
        row = await cur.fetchone()
    return None if row is None else DevicePublic.model_validate(row)


async def update_device(
    conn: Conn, device_id: str, changes: Mapping[str, object]
) -> DevicePublic | None:
    """Apply ``changes``; None when there is no such device."""
    unknown = set(changes) - _WRITABLE
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    if not changes:
        return await get_device(conn, device_id)
    query = sql.SQL("UPDATE devices SET {}, updated_at = now() WHERE id = {} RETURNING {}").format(
        assignments(changes), sql.Placeholder("_id"), _DEVICE_LIST
    )
    try:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, {**changes, "_id": device_id})
            row = await cur.fetchone()
    except psycopg.errors.ForeignKeyViolation as exc:
        raise UnknownElderError(str(changes.get("elder_id"))) from exc
    return None if row is None else DevicePublic.model_validate(row)


async def delete_device(conn: Conn, device_id: str) -> bool:
    """Unregister a device; its stored events stay. False when there was none."""
    cur = await conn.execute("DELETE FROM devices WHERE id = %s", (device_id,))
    return cur.rowcount > 0


async def list_devices(
    conn: Conn,
    *,
    elder_id: str | None = None,
    type_: str | None = None,
    online: bool | None = None,
    after: str | None = None,
    limit: int = 50,
) -> Sequence[DevicePublic]:
    """Devices in id order after the id ``after`` (keyset). ``online=False`` matches every
    device not known to be online, including those never heard from."""
    where: list[sql.Composable] = []
    params: dict[str, object] = {"limit": limit}
    for column, value in (("elder_id", elder_id), ("type", type_)):
        if value is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column)))
            params[column] = value
    if online is True:
        where.append(sql.SQL("online IS TRUE"))
    elif online is False:
        where.append(sql.SQL("online IS NOT TRUE"))
    if after is not None:
        where.append(sql.SQL("id > %(after)s"))
        params["after"] = after
    query = sql.SQL("SELECT {} FROM devices").format(_DEVICE_LIST)
    if where:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
    query += sql.SQL(" ORDER BY id LIMIT %(limit)s")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [DevicePublic.model_validate(row) for row in rows]


async def device_known(conn: Conn, device_id: str) -> bool:
    """The device is registered, or was and left events behind."""
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE id = %s)"
        " OR EXISTS (SELECT 1 FROM events WHERE device_id = %s)",
        (device_id, device_id),
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def list_events(
    conn: Conn,
    device_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> Sequence[EventPublic]:
    """The device's events newest first, ``since`` inclusive, ``until`` exclusive."""
    where: list[sql.Composable] = [sql.SQL("device_id = %(device_id)s")]
    params: dict[str, object] = {"device_id": device_id, "limit": limit}
    if since is not None:
        where.append(sql.SQL("ts >= %(since)s"))
        params["since"] = since
    if until is not None:
        where.append(sql.SQL("ts < %(until)s"))
        params["until"] = until
    if kind is not None:
        where.append(sql.SQL("kind = %(kind)s"))
        params["kind"] = kind
    query = sql.SQL(
        "SELECT ts, kind, value, seq, battery, rssi, flags, coalesce(extra, '{{}}') AS extra,"
        " received_at FROM events WHERE {} ORDER BY ts DESC, seq DESC NULLS LAST LIMIT %(limit)s"
    ).format(sql.SQL(" AND ").join(where))
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [EventPublic.model_validate(row) for row in rows]


async def list_dead_letters(
    conn: Conn,
    *,
    device_id: str | None = None,
    reason: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Sequence[DeadLetterPublic]:
    """Dead letters newest first (by id), those with an id below ``before`` (keyset)."""
    where: list[sql.Composable] = []
    params: dict[str, object] = {"limit": limit, "shown": PAYLOAD_SHOWN_BYTES}
    for column, value in (("device_id", device_id), ("reason", reason)):
        if value is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column)))
            params[column] = value
    if before is not None:
        where.append(sql.SQL("id < %(before)s"))
        params["before"] = before
    query: sql.Composable = sql.SQL(
        "SELECT id, received_at, topic, device_id, reason, detail, payload_size,"
        " substring(payload FROM 1 FOR %(shown)s) AS head FROM dead_letters"
    )
    if where:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
    query += sql.SQL(" ORDER BY id DESC LIMIT %(limit)s")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    return [_dead_letter(row) for row in rows]


def _dead_letter(row: dict[str, object]) -> DeadLetterPublic:
    head = bytes(row.pop("head"))  # type: ignore[call-overload]
    size = int(row["payload_size"])  # type: ignore[call-overload]
    truncated = size > len(head)
    return DeadLetterPublic.model_validate(
        {**row, "payload": shown_payload(head, truncated=truncated), "payload_truncated": truncated}
    )


def shown_payload(head: bytes, *, truncated: bool) -> str:
    """The payload's head as text; a character cut in half at the end is dropped, not shown
    as a replacement character."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(head, final=not truncated)
