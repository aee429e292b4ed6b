"""SQL of the audit log and of the actor that the file's history trigger records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.types.json import Jsonb

from care.audit import Actor, AuditEntry
from store.db import Conn, fetch_all


async def record(
    conn: Conn,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | None = None,
    *,
    town: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, role, action, entity, entity_id, town, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            actor.name,
            actor.role,
            action,
            entity,
            entity_id,
            town,
            None if detail is None else Jsonb(dict(detail)),
        ),
    )


async def entries(
    conn: Conn, entity: str, entity_id: str | None, *, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries about one thing (or every thing of a kind), newest first."""
    return await fetch_all(
        conn,
        "SELECT id, at, actor, role, action, entity, entity_id, town, detail FROM audit_log"
        " WHERE entity = %s AND (%s::text IS NULL OR entity_id = %s)"
        " ORDER BY at DESC, id DESC LIMIT %s",
        (entity, entity_id, entity_id, limit),
        AuditEntry,
    )


async def about_elder(conn: Conn, elder_id: str, *, limit: int = 100) -> list[AuditEntry]:
    """Every entry about one elder, newest first: reads and changes of the file and of its
    contacts, visits, compliance, history and events, refused attempts, and the lists that
    showed the file (``detail.ids``)."""
    return await fetch_all(
        conn,
        "SELECT id, at, actor, role, action, entity, entity_id, town, detail FROM ("
        " SELECT * FROM audit_log WHERE entity_id = %(id)s"
        "  AND (entity = 'elder' OR entity LIKE 'elder.%%')"
        " UNION"
        " SELECT * FROM audit_log WHERE action = 'list' AND entity = 'elder'"
        "  AND detail -> 'ids' ? %(id)s"
        ") AS about ORDER BY at DESC, id DESC LIMIT %(limit)s",
        {"id": elder_id, "limit": limit},
        AuditEntry,
    )


async def device_elder(conn: Conn, device_id: str) -> tuple[str, str | None] | None:
    """The elder (and their town) a device is registered to, or None."""
    cur = await conn.execute(
        "SELECT e.id, e.town FROM devices AS d JOIN elders AS e ON e.id = d.elder_id"
        " WHERE d.id = %s",
        (device_id,),
    )
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1])


async def set_actor(conn: Conn, actor: Actor) -> None:
    """Name the caller for the rest of this transaction: the elders' history trigger writes
    it into every change."""
    await conn.execute("SELECT set_config('tanfang.actor', %s, true)", (actor.name,))
