"""The ack-link key: made once, on first use, the same for every process on the database."""

from __future__ import annotations

import asyncio

import psycopg

from alerting.ack_links import KEY_BYTES
from alerting.secrets_repo import ack_link_key
from store.db import Conn


async def test_the_key_is_made_on_first_use_and_kept(conn: Conn) -> None:
    cur = await conn.execute("SELECT count(*) FROM app_secrets")
    assert await cur.fetchone() == (0,)
    first = await ack_link_key(conn)
    assert len(first) == KEY_BYTES
    assert await ack_link_key(conn) == first


async def test_processes_asking_at_once_share_one_key(database_url: str) -> None:
    async def ask() -> bytes:
        async with await psycopg.AsyncConnection.connect(database_url) as c:
            return await ack_link_key(c)

    keys = await asyncio.gather(*(ask() for _ in range(6)))
    assert len(set(keys)) == 1
    async with await psycopg.AsyncConnection.connect(database_url) as c:
        cur = await c.execute("SELECT count(*) FROM app_secrets WHERE name = 'ack_link'")
        assert await cur.fetchone() == (1,)
