"""SQL of the API tokens. Only a SHA-256 hash of each token is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from store.db import Conn, fetch_all, fetch_one


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
    stored = await fetch_one(
        conn,
        "INSERT INTO api_tokens (token_hash, role, town, name) VALUES (%s, %s, %s, %s)"
        " RETURNING id, role, town, name, created_at, revoked_at",
        (token_hash, role, town, name),
        TokenRecord,
    )
    assert stored is not None
    return stored


async def find_active_token(conn: Conn, token_hash: str) -> TokenRecord | None:
    return await fetch_one(
        conn,
        "SELECT id, role, town, name, created_at, revoked_at FROM api_tokens"
        " WHERE token_hash = %s AND revoked_at IS NULL",
        (token_hash,),
        TokenRecord,
    )


async def list_tokens(conn: Conn, *, after: int | None, limit: int) -> Sequence[TokenRecord]:
    return await fetch_all(
        conn,
        "SELECT id, role, town, name, created_at, revoked_at FROM api_tokens"
        " WHERE id > %s ORDER BY id LIMIT %s",
        (after or 0, limit),
        TokenRecord,
    )


async def revoke_token(conn: Conn, token_id: int) -> bool:
    """Revoke a token; False when there is no such token (revoking twice is fine)."""
    cur = await conn.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s",
        (token_id,),
    )
    return cur.rowcount > 0
