"""SQL of the fleet as the API manages it: devices, reads of their events, dead letters.

The gateway's own writes live in ``devices.ingest_repo``. Callers own the transaction.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import psycopg
from psycopg import sql

from devices.models import (
    PAYLOAD_SHOWN_BYTES,
    DeadLetterPublic,
    DeviceCreate,
    DevicePublic,
    EventPublic,
)
from store.db import (
    Condition,
    Conn,
    Row,
    above,
    below,
    equals,
    fetch_all,
    fetch_one,
    fetch_rows,
    where,
    within,
)
from store.errors import StoreError
from store.statements import assignments, insert_into

_DEVICE_COLUMNS: Final = tuple(f for f in DevicePublic.model_fields if f != "source")
# The binding is two columns, shown as one object (null when unbound).
_SOURCE: Final = sql.SQL(
    "CASE WHEN source_kind IS NULL THEN NULL"
    " ELSE json_build_object('kind', source_kind, 'address', source_address) END AS source"
)
_DEVICE_LIST: Final = sql.SQL(", ").join([*map(sql.Identifier, _DEVICE_COLUMNS), _SOURCE])
_WRITABLE: Final = frozenset(DeviceCreate.model_fields) - {"id"}
# The unique index of bindings (0050_device_sources.sql).
_SOURCE_INDEX: Final = "devices_source"


class DuplicateDeviceError(StoreError):
    """A device with this id is already registered."""


class UnknownElderError(StoreError):
    """The elder a device should belong to is not on file."""


class SourceTakenError(StoreError):
    """Another device is bound to this (kind, address) already."""


def _columns(values: Mapping[str, object]) -> dict[str, object]:
    """``source`` as its two columns (None: unbound)."""
    if "source" not in values:
        return dict(values)
    columns = {k: v for k, v in values.items() if k != "source"}
    source = values["source"]
    if isinstance(source, Mapping):
        columns["source_kind"], columns["source_address"] = source["kind"], source["address"]
    else:
        columns["source_kind"] = columns["source_address"] = None
    return columns


def _unique(exc: psycopg.errors.UniqueViolation, device_id: str) -> StoreError:
    if exc.diag.constraint_name == _SOURCE_INDEX:
        return SourceTakenError(device_id)
    return DuplicateDeviceError(device_id)


async def insert_device(conn: Conn, device: DeviceCreate) -> DevicePublic:
    values = _columns(device.model_dump())
    query = sql.SQL("{} RETURNING {}").format(insert_into("devices", values), _DEVICE_LIST)
    try:
        stored = await fetch_one(conn, query, values, DevicePublic)
    except psycopg.errors.UniqueViolation as exc:
        raise _unique(exc, device.id) from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise UnknownElderError(str(device.elder_id)) from exc
    assert stored is not None
    return stored


async def get_device(conn: Conn, device_id: str) -> DevicePublic | None:
    query = sql.SQL("SELECT {} FROM devices WHERE id = %s").format(_DEVICE_LIST)
    return await fetch_one(conn, query, (device_id,), DevicePublic)


async def update_device(
    conn: Conn, device_id: str, changes: Mapping[str, object]
) -> DevicePublic | None:
    """Apply ``changes``; None when there is no such device."""
    unknown = set(changes) - _WRITABLE
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    if not changes:
        return await get_device(conn, device_id)
    columns = _columns(changes)
    query = sql.SQL("UPDATE devices SET {}, updated_at = now() WHERE id = {} RETURNING {}").format(
        assignments(columns), sql.Placeholder("_id"), _DEVICE_LIST
    )
    try:
        return await fetch_one(conn, query, {**columns, "_id": device_id}, DevicePublic)
    except psycopg.errors.UniqueViolation as exc:
        raise _unique(exc, device_id) from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise UnknownElderError(str(changes.get("elder_id"))) from exc


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
    filters = where(
        equals("elder_id", elder_id), equals("type", type_), _online(online), above("id", after)
    )
    query = sql.SQL("SELECT {} FROM devices{} ORDER BY id LIMIT %(limit)s").format(
        _DEVICE_LIST, filters.clause
    )
    return await fetch_all(conn, query, {**filters.params, "limit": limit}, DevicePublic)


def _online(online: bool | None) -> Condition | None:
    if online is None:
        return None
    return Condition(sql.SQL("online IS TRUE" if online else "online IS NOT TRUE"))


async def device_home(conn: Conn, device_id: str) -> tuple[str | None, str | None]:
    """The elder a device is registered to and their town (None, None: in stock, or no
    longer registered)."""
    cur = await conn.execute(
        "SELECT e.id, e.town FROM devices AS d JOIN elders AS e ON e.id = d.elder_id"
        " WHERE d.id = %s",
        (device_id,),
    )
    row = await cur.fetchone()
    return (None, None) if row is None else (row[0], row[1])


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
    filters = where(
        equals("device_id", device_id),
        within("ts", since, until),
        equals("kind", kind),
    )
    query = sql.SQL(
        "SELECT ts, kind, value, seq, battery, rssi, flags, coalesce(extra, '{{}}') AS extra,"
        " received_at FROM events{} ORDER BY ts DESC, seq DESC NULLS LAST LIMIT %(limit)s"
    ).format(filters.clause)
    return await fetch_all(conn, query, {**filters.params, "limit": limit}, EventPublic)


async def list_dead_letters(
    conn: Conn,
    *,
    device_id: str | None = None,
    reason: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Sequence[DeadLetterPublic]:
    """Dead letters newest first (by id), those with an id below ``before`` (keyset)."""
    filters = where(equals("device_id", device_id), equals("reason", reason), below("id", before))
    query = sql.SQL(
        "SELECT id, received_at, topic, device_id, reason, detail, payload_size,"
        " source_kind, source_address,"
        " substring(payload FROM 1 FOR %(shown)s) AS head FROM dead_letters{}"
        " ORDER BY id DESC LIMIT %(limit)s"
    ).format(filters.clause)
    params = {**filters.params, "limit": limit, "shown": PAYLOAD_SHOWN_BYTES}
    return [_dead_letter(row) for row in await fetch_rows(conn, query, params)]


def _dead_letter(row: Row) -> DeadLetterPublic:
    head = bytes(row.pop("head"))
    size = int(row["payload_size"])
    truncated = size > len(head)
    return DeadLetterPublic.model_validate(
        {**row, "payload": shown_payload(head, truncated=truncated), "payload_truncated": truncated}
    )


def shown_payload(head: bytes, *, truncated: bool) -> str:
    """The payload's head as text; a character cut in half at the end is dropped, not shown
    as a replacement character."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(head, final=not truncated)
