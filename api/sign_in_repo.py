"""SQL of the single-use sign-in codes: only a SHA-256 of each code is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.db import Conn, fetch_one


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """What a code signs in as: the token it makes has this role, town and name, and lives
    ``session_s`` seconds."""

    role: str
    town: str | None
    name: str
    session_s: int


async def insert(
    conn: Conn, code_hash: str, grant: CodeGrant, *, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO sign_in_codes (code_hash, role, town, name, session_s, created_at,"
        " expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (code_hash, grant.role, grant.town, grant.name, grant.session_s, now, expires_at),
    )


async def redeem(conn: Conn, code_hash: str, now: datetime) -> CodeGrant | None:
    """Spend a code: its grant when unused and not expired at ``now``, else None. One
    statement, so two exchanges racing with one code cannot both have it."""
    return await fetch_one(
        conn,
        "UPDATE sign_in_codes SET used_at = %(now)s"
        " WHERE code_hash = %(hash)s AND used_at IS NULL AND expires_at > %(now)s"
        " RETURNING role, town, name, session_s",
        {"hash": code_hash, "now": now},
        CodeGrant,
    )


async def prune(conn: Conn, before: datetime) -> None:
    """Forget the codes that expired before ``before``."""
    await conn.execute("DELETE FROM sign_in_codes WHERE expires_at < %s", (before,))
