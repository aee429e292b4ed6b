"""SQL of the keys the installation makes for itself (``app_secrets``): made on first use,
shared by every process on the database, kept across restarts."""

from __future__ import annotations

import secrets
from typing import Final

from alerting.ack_links import KEY_BYTES
from store.db import Conn

ACK_LINK_KEY: Final = "ack_link"


async def ack_link_key(conn: Conn) -> bytes:
    """The ack links' signing key, made (``KEY_BYTES`` random bytes) on first use. Two
    processes asking at once get the same key: the first insert wins, the other reads it."""
    found = await _read(conn, ACK_LINK_KEY)
    if found is not None:
        return found
    await conn.execute(
        "INSERT INTO app_secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        (ACK_LINK_KEY, secrets.token_bytes(KEY_BYTES)),
    )
    made = await _read(conn, ACK_LINK_KEY)
    assert made is not None  # inserted above, or by the process that won the race
    return made


async def _read(conn: Conn, name: str) -> bytes | None:
    cur = await conn.execute("SELECT value FROM app_secrets WHERE name = %s", (name,))
    row = await cur.fetchone()
    return None if row is None else bytes(row[0])
