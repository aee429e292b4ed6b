"""Helpers for the care tests that talk to the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from store.db import Conn
from store.statements import insert_into


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as c:
        await c.execute("SET TIME ZONE 'UTC'")
        yield c


async def add_elder(conn: Conn, elder_id: str, **fields: Any) -> None:
    values: dict[str, Any] = {
        "id": elder_id,
        "name": "王小明",
        "town": "赤坎鎮",
        "birth_date": date(1950, 1, 1),
        "living_arrangement": "alone",
        "created_at": datetime(2020, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    await conn.execute(insert_into("elders", values), values)


async def add_device(
    conn: Conn, device_id: str, elder_id: str | None, kind: str = "sos_button"
) -> None:
    await conn.execute(
        "INSERT INTO devices (id, type, elder_id) VALUES (%s, %s, %s)", (device_id, kind, elder_id)
    )


async def add_visit(
    conn: Conn,
    elder_id: str,
    at: datetime,
    method: str = "phone",
    *,
    refused: bool = False,
    source: str = "manual",
) -> None:
    await conn.execute(
        "INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor, refused, source)"
        " VALUES (%s, %s, %s, %s, 'test', %s, %s)",
        (elder_id, method, at, at.date(), refused, source),
    )
