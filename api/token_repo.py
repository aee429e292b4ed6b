"""SQL of the API tokens. Only a SHA-256 hash of each token is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class TokenRecord(BaseModel):
    """A token as stored, without its secret."""

    id: int
    role: str
    town: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None


async def insert_token(
    conn: Conn, *, token_hash: str, role: str, town: str | None, name: str
) -> TokenRecord:
    async with conn.cursor(row_factory=class_row(TokenRecord)) as cur:
        await cur.execute(
            "INSERT INTO api_tokens (token_hash, role, town, name) VALUES (%s, %s, %s, %s)"
            " RETURNING id, role, town, name, created_at, revoked_at",
            (token_hash, role, town, name),
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def find_active_token(conn: Conn, token_hash: str) -> TokenRecord | None:
    async with conn.cursor(row_factory=class_row(TokenRecord)) as cur:
        await cur.execute(
            "SELECT id, role, town, name, created_at, revoked_at FROM api_tokens"
            " WHERE token_hash = %s AND revoked_at IS NULL",
            (token_hash,),
        )
        return await cur.fetchone()


async def list_tokens(conn: Conn, *, after: int | None, limit: int) -> Sequence[TokenRecord]:
    async with conn.cursor(row_factory=class_row(TokenRecord)) as cur:
        await cur.execute(
            "SELECT id, role, town, name, created_at, revoked_at FROM api_tokens"
            " WHERE id > %s ORDER BY id LIMIT %s",
            (after or 0, limit),
        )
        return await cur.fetchall()


async def revoke_token(conn: Conn, token_id: int) -> bool:
    """Revoke a token; False when there is no such token (revoking twice is fine)."""
    cur = await conn.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s",
        (token_id,),
    )
    return cur.rowcount > 0
