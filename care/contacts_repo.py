"""SQL of emergency contacts. Callers own the transaction."""

from __future__ import annotations

from care.contacts import Contact, ContactCreate, emergency_order
from store.db import Conn, fetch_all, fetch_one


async def add_contact(
    conn: Conn, elder_id: str, contact: ContactCreate, created_by: str
) -> Contact:
    stored = await fetch_one(
        conn,
        "INSERT INTO contacts (elder_id, name, phone, relation, priority, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " RETURNING id, elder_id, name, phone, relation, priority, created_at",
        (elder_id, contact.name, contact.phone, contact.relation, contact.priority, created_by),
        Contact,
    )
    assert stored is not None
    return stored


async def list_contacts(conn: Conn, elder_id: str) -> list[Contact]:
    """The elder's contacts in the order to call them (care.contacts.emergency_order)."""
    rows = await fetch_all(
        conn,
        "SELECT id, elder_id, name, phone, relation, priority, created_at"
        " FROM contacts WHERE elder_id = %s",
        (elder_id,),
        Contact,
    )
    return emergency_order(rows)


async def has_contacts(conn: Conn, elder_id: str) -> bool:
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM contacts WHERE elder_id = %s)", (elder_id,)
    )
    row = await cur.fetchone()
    return bool(row and row[0])
