"""SQL of the API tokens. Only a SHA-256 hash of each token is stored; a rotated token's old
hash is kept beside the new one until its grace period ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from psycopg import sql
from pydantic import BaseModel

from store.db import Conn, fetch_all, fetch_one

_COLUMNS: Final = sql.SQL(", ").join(
    sql.Identifier(name)
    for name in (
        "id",
        "role",
        "town",
        "name",
        "kind",
        "created_at",
        "expires_at",
        "last_used_at",
        "rotated_at",
        "previous_expires_at",
        "revoked_at",
    )
)


class TokenRecord(BaseModel):
    """A token as stored, without its secret (or its hashes)."""

    id: int
    role: str
    town: str | None
    name: str
    kind: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    rotated_at: datetime | None
    previous_expires_at: datetime | None
    """Until when the secret it had before its last rotation still works."""
    revoked_at: datetime | None


async def insert_token(
    conn: Conn,
    *,
    token_hash: str,
    role: str,
    town: str | None,
    name: str,
    kind: str,
    expires_at: datetime | None,
) -> TokenRecord:
    stored = await fetch_one(
        conn,
        sql.SQL(
            "INSERT INTO api_tokens (token_hash, role, town, name, kind, expires_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING {}"
        ).format(_COLUMNS),
        (token_hash, role, town, name, kind, expires_at),
        TokenRecord,
    )
    assert stored is not None
    return stored


async def find_active_token(conn: Conn, token_hash: str, now: datetime) -> TokenRecord | None:
    """The token whose secret hashes to ``token_hash`` — its current one, or its previous
    one within the rotation's grace period — when not revoked and not expired at ``now``."""
    return await fetch_one(
        conn,
        sql.SQL(
            "SELECT {} FROM api_tokens"
            " WHERE (token_hash = %(hash)s"
            "        OR (previous_hash = %(hash)s AND previous_expires_at > %(now)s))"
            " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %(now)s)"
        ).format(_COLUMNS),
        {"hash": token_hash, "now": now},
        TokenRecord,
    )


async def touch(conn: Conn, token_id: int, now: datetime, every: timedelta) -> None:
    """Set ``last_used_at`` to ``now`` unless it was set less than ``every`` ago (by this
    process or another one)."""
    await conn.execute(
        "UPDATE api_tokens SET last_used_at = %(now)s WHERE id = %(id)s"
        " AND (last_used_at IS NULL OR last_used_at <= %(now)s - %(every)s)",
        {"id": token_id, "now": now, "every": every},
    )


async def rotate(
    conn: Conn,
    token_id: int,
    *,
    new_hash: str,
    now: datetime,
    grace: timedelta,
    expires_at: datetime | None,
) -> TokenRecord | None:
    """Give a live token a new secret; the current one keeps working for ``grace``. None
    when there is no such live token (unknown, revoked or expired)."""
    return await fetch_one(
        conn,
        sql.SQL(
            "UPDATE api_tokens SET previous_hash = token_hash,"
            " previous_expires_at = %(now)s + %(grace)s, token_hash = %(hash)s,"
            " rotated_at = %(now)s, expires_at = %(expires)s"
            " WHERE id = %(id)s AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > %(now)s) RETURNING {}"
        ).format(_COLUMNS),
        {"id": token_id, "hash": new_hash, "now": now, "grace": grace, "expires": expires_at},
        TokenRecord,
    )


async def get_token(conn: Conn, token_id: int) -> TokenRecord | None:
    return await fetch_one(
        conn,
        sql.SQL("SELECT {} FROM api_tokens WHERE id = %s").format(_COLUMNS),
        (token_id,),
        TokenRecord,
    )


async def list_tokens(conn: Conn, *, after: int | None, limit: int) -> Sequence[TokenRecord]:
    return await fetch_all(
        conn,
        sql.SQL("SELECT {} FROM api_tokens WHERE id > %s ORDER BY id LIMIT %s").format(_COLUMNS),
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
