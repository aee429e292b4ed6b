"""SQL of foreign sources: which device an address is bound to (directly or through an
alias), the aliases a source tells, the addresses seen but not bound, and the message ids
that make HTTP ingest idempotent. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from psycopg import sql

from devices.models import UnboundSource
from devices.registry import DeviceEntry
from devices.repo import shown_payload
from devices.schema import Reason
from store.db import Conn

# The last payload of an unbound address is shown up to this many bytes.
UNBOUND_PAYLOAD_SHOWN: Final = 200


@dataclass(frozen=True, slots=True)
class Bound:
    """The device a foreign address names."""

    device_id: str
    entry: DeviceEntry


# The names of one address: itself, the canonical address it is an alias of, and the other
# aliases of that address (a device bound by its friendly name is found from its IEEE
# address, and the other way round).
_NAMES = sql.SQL(
    "SELECT n.asked, n.name FROM ("
    "  SELECT q.asked, q.asked AS name FROM unnest(%(asked)s::text[]) AS q(asked)"
    "  UNION SELECT q.asked, a.address FROM unnest(%(asked)s::text[]) AS q(asked)"
    "    JOIN source_aliases a ON a.kind = %(kind)s AND a.name = q.asked"
    "  UNION SELECT q.asked, b.name FROM unnest(%(asked)s::text[]) AS q(asked)"
    "    JOIN source_aliases a ON a.kind = %(kind)s AND a.name = q.asked"
    "    JOIN source_aliases b ON b.kind = a.kind AND b.address = a.address"
    "  UNION SELECT q.asked, a.name FROM unnest(%(asked)s::text[]) AS q(asked)"
    "    JOIN source_aliases a ON a.kind = %(kind)s AND a.address = q.asked"
    ") n"
)

_BOUND = sql.SQL(
    "SELECT DISTINCT ON (n.asked) n.asked, d.id, d.elder_id, d.type FROM ({}) n"
    " JOIN devices d ON d.source_kind = %(kind)s AND d.source_address = n.name"
    " ORDER BY n.asked, d.id"
).format(_NAMES)

# A whole node's report (an ESPHome node, a Shelly device) covers its sensors and channels.
_UNDER = sql.SQL(
    "SELECT q.asked, d.id, d.elder_id, d.type FROM unnest(%(asked)s::text[]) AS q(asked)"
    " JOIN devices d ON d.source_kind = %(kind)s"
    "  AND (d.source_address = q.asked OR starts_with(d.source_address, q.asked || '/'))"
)


async def bound_devices(conn: Conn, kind: str, addresses: Sequence[str]) -> dict[str, Bound]:
    """The device each of ``addresses`` of source ``kind`` names, by binding or alias;
    addresses bound to none are left out."""
    cur = await conn.execute(_BOUND, {"kind": kind, "asked": list(addresses)})
    return {
        asked: Bound(device_id, DeviceEntry(elder_id, type_))
        for asked, device_id, elder_id, type_ in await cur.fetchall()
    }


async def devices_under(conn: Conn, kind: str, nodes: Sequence[str]) -> dict[str, list[Bound]]:
    """The devices bound to each node of ``nodes`` or to an address under it (``node/…``)."""
    cur = await conn.execute(_UNDER, {"kind": kind, "asked": list(nodes)})
    found: dict[str, list[Bound]] = {}
    for asked, device_id, elder_id, type_ in await cur.fetchall():
        found.setdefault(asked, []).append(Bound(device_id, DeviceEntry(elder_id, type_)))
    return found


async def names_of(conn: Conn, kind: str, address: str) -> list[str]:
    """Every name ``address`` of ``kind`` goes by (itself and its aliases)."""
    cur = await conn.execute(
        sql.SQL("SELECT name FROM ({}) x").format(_NAMES), {"kind": kind, "asked": [address]}
    )
    return sorted({row[0] for row in await cur.fetchall()})


_ALIASES = sql.SQL(
    "INSERT INTO source_aliases (kind, name, address)"
    " SELECT %s, name, address FROM unnest(%s::text[], %s::text[]) AS s(name, address)"
    " ON CONFLICT (kind, name) DO UPDATE SET address = excluded.address, updated_at = now()"
    " WHERE source_aliases.address <> excluded.address"
    " RETURNING name"
)


async def save_aliases(conn: Conn, kind: str, aliases: Sequence[tuple[str, str]]) -> int:
    """Store (name, address) aliases of ``kind``; how many were new or changed."""
    cur = await conn.execute(
        _ALIASES, (kind, [name for name, _ in aliases], [address for _, address in aliases])
    )
    return len(await cur.fetchall())


_UNBOUND = sql.SQL(
    "SELECT l.source_kind, l.source_address, min(l.received_at), max(l.received_at), count(*),"
    " (array_agg(substring(l.payload FROM 1 FOR %(shown)s) ORDER BY l.id DESC))[1]"
    " FROM dead_letters l WHERE l.reason = %(reason)s AND l.source_kind IS NOT NULL"
    " AND (%(kind)s::text IS NULL OR l.source_kind = %(kind)s)"
    " AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.source_kind = l.source_kind"
    "   AND d.source_address = l.source_address)"
    " GROUP BY l.source_kind, l.source_address"
    " ORDER BY max(l.received_at) DESC, l.source_kind, l.source_address"
    " LIMIT %(limit)s"
)


async def unbound_sources(conn: Conn, *, kind: str | None, limit: int) -> list[UnboundSource]:
    """Foreign addresses with dead letters waiting for a binding, last seen first."""
    params = {
        "shown": UNBOUND_PAYLOAD_SHOWN,
        "reason": Reason.UNBOUND_SOURCE.value,
        "kind": kind,
        "limit": limit,
    }
    cur = await conn.execute(_UNBOUND, params)
    return [
        UnboundSource(
            kind=kind_,
            address=address,
            first_seen=first,
            last_seen=last,
            count=count,
            last_payload=shown_payload(bytes(head), truncated=True),
        )
        for kind_, address, first, last, count, head in await cur.fetchall()
    ]


_CLAIM = sql.SQL(
    "INSERT INTO ingest_message_ids (source, message_id, received_at)"
    " SELECT %s, m, %s FROM unnest(%s::text[]) AS u(m)"
    " ON CONFLICT (source, message_id) DO NOTHING RETURNING message_id"
)


async def claim_message_ids(
    conn: Conn, source: str, message_ids: Sequence[str], at: datetime
) -> set[str]:
    """Claim ``message_ids`` of ``source``; those claimed now (the others were before). A
    claim made by a transaction still open waits for it: two deliveries of one message never
    both claim it."""
    if not message_ids:
        return set()
    cur = await conn.execute(_CLAIM, (source, at, sorted(set(message_ids))))
    return {row[0] for row in await cur.fetchall()}


async def forget_message_ids(conn: Conn, before: datetime) -> int:
    """Drop the message ids claimed before ``before`` (their events are past retention)."""
    cur = await conn.execute("DELETE FROM ingest_message_ids WHERE received_at < %s", (before,))
    return cur.rowcount
