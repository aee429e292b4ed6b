"""SQL of emergency contacts. Callers own the transaction."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row

from care.contacts import Contact, ContactCreate, emergency_order

Conn = AsyncConnection[TupleRow]


async def add_contact(
    conn: Conn, elder_id: str, contact: ContactCreate, created_by: str
) -> Contact:
    async with conn.cursor(row_factory=class_row(Contact)) as cur:
        await cur.execute(
            "INSERT INTO contacts (elder_id, name, phone, relation, priority, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " RETURNING id, elder_id, name, phone, relation, priority, created_at",
            (elder_id, contact.name, contact.phone, contact.relation, contact.priority, created_by),
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def list_contacts(conn: Conn, elder_id: str) -> list[Contact]:
    """The elder's contacts in the order to call them (care.contacts.emergency_order)."""
    async with conn.cursor(row_factory=class_row(Contact)) as cur:
        await cur.execute(
            "SELECT id, elder_id, name, phone, relation, priority, created_at"
            " FROM contacts WHERE elder_id = %s",
            (elder_id,),
        )
        rows = await cur.fetchall()
    return emergency_order(rows)


async def has_contacts(conn: Conn, elder_id: str) -> bool:
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM contacts WHERE elder_id = %s)", (elder_id,)
    )
    row = await cur.fetchone()
    return bool(row and row[0])
