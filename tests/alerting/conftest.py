"""The real database for the alerting tests: an autocommit connection, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from store.db import Conn


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as c:
        await c.execute("SET TIME ZONE 'UTC'")
        yield c


async def add_home(
    conn: Conn,
    elder_id: str,
    device_id: str,
    device_type: str = "sos_button",
    *,
    town: str = "赤坎鎮",
    room: str | None = "bedroom",
) -> None:
    await conn.execute(
        "INSERT INTO elders (id, name, town) VALUES (%s, '王小明', %s) ON CONFLICT DO NOTHING",
        (elder_id, town),
    )
    await conn.execute(
        "INSERT INTO devices (id, type, elder_id, room) VALUES (%s, %s, %s, %s)",
        (device_id, device_type, elder_id, room),
    )
