"""SQL of dead-letter replay: pick the selected letters, lock them, and settle them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from devices.registry import DeviceEntry
from devices.replay import ReplaySelection
from store.db import Condition, Conn, equals, where


@dataclass(frozen=True, slots=True)
class StoredLetter:
    id: int
    received_at: datetime
    topic: str
    device_id: str | None
    reason: str
    detail: str | None
    payload: bytes
    payload_size: int
    source_kind: str | None = None
    source_address: str | None = None

    @property
    def truncated(self) -> bool:
        """Only the head of the payload was kept: it cannot be decoded as sent."""
        return len(self.payload) < self.payload_size


async def last_id(conn: Conn) -> int:
    """The newest dead letter's id now (0: none): a replay goes no further, so that the
    letters it writes itself are not taken up again."""
    cur = await conn.execute("SELECT coalesce(max(id), 0) FROM dead_letters")
    row = await cur.fetchone()
    return 0 if row is None else int(row[0])


_IN_RANGE = sql.SQL("id > %(after)s AND id <= %(upto)s")
_ONE_OF = sql.SQL("id = ANY(%(ids)s)")
_ADDRESSES = sql.SQL("source_address = ANY(%(addresses)s)")


async def selected_ids(
    conn: Conn, selection: ReplaySelection, *, after: int, upto: int, limit: int
) -> list[int]:
    """Ids of the selected letters in (after, upto], oldest first, at most ``limit``."""
    filters = where(
        Condition(_IN_RANGE, {"after": after, "upto": upto}),
        equals("device_id", selection.device_id),
        equals("reason", None if selection.reason is None else selection.reason.value),
        None if selection.ids is None else Condition(_ONE_OF, {"ids": selection.ids}),
        equals("source_kind", selection.source_kind),
        None
        if selection.source_addresses is None
        else Condition(_ADDRESSES, {"addresses": selection.source_addresses}),
    )
    query = sql.SQL("SELECT id FROM dead_letters{} ORDER BY id LIMIT %(limit)s").format(
        filters.clause
    )
    cur = await conn.execute(query, {**filters.params, "limit": limit})
    return [int(row[0]) for row in await cur.fetchall()]


_TAKE = sql.SQL(
    "SELECT id, received_at, topic, device_id, reason, detail, payload, payload_size,"
    " source_kind, source_address"
    " FROM dead_letters WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED"
)


async def take(conn: Conn, ids: Sequence[int]) -> list[StoredLetter]:
    """The letters of ``ids`` still there, locked for this transaction; those another replay
    holds are skipped (it settles them)."""
    cur = await conn.execute(_TAKE, (list(ids),))
    return [
        StoredLetter(i, at, topic, device, reason, detail, bytes(payload), size, kind, address)
        for i, at, topic, device, reason, detail, payload, size, kind, address in (
            await cur.fetchall()
        )
    ]


async def devices_of(conn: Conn, device_ids: Sequence[str]) -> dict[str, DeviceEntry]:
    """The registered devices among ``device_ids``, as the gateway's registry holds them."""
    cur = await conn.execute(
        "SELECT id, elder_id, type FROM devices WHERE id = ANY(%s)", (list(device_ids),)
    )
    return {row[0]: DeviceEntry(row[1], row[2]) for row in await cur.fetchall()}


_REMOVE = sql.SQL("DELETE FROM dead_letters WHERE id = ANY(%s)")
_REASON = sql.SQL(
    "UPDATE dead_letters d SET reason = s.reason, detail = s.detail"
    " FROM unnest(%s::int8[], %s::text[], %s::text[]) AS s(id, reason, detail)"
    " WHERE d.id = s.id"
)


async def settle(
    conn: Conn, removed: Sequence[int], refused: Sequence[tuple[int, str, str]]
) -> None:
    """Remove the letters replayed, and give those still refused their reason of now
    ((id, reason, detail) each)."""
    if removed:
        await conn.execute(_REMOVE, (list(removed),))
    if refused:
        await conn.execute(
            _REASON, ([r[0] for r in refused], [r[1] for r in refused], [r[2] for r in refused])
        )
