"""Migration 0045's tanfang_phone_usable, the coverage list's rule for a phone that can be
called: at least 7 digits, not one digit repeated, not an ascending run."""

from __future__ import annotations

import pytest

from store.db import Conn

CALLABLE = [
    "13812345678",
    "138 1234 5678",
    "+86 138-1234-5678",
    "0750-2345678",
    "2600123",
    "13333333333",
]
PLACEHOLDERS = [
    "",
    "110",
    "123456",
    "0000000",
    "000 0000",
    "1234567",
    "12345678901",
    "(0)123-4567-89",
    "--- ---",
]


@pytest.mark.parametrize("phone", CALLABLE)
async def test_a_number_that_can_be_dialled_is_usable(conn: Conn, phone: str) -> None:
    cur = await conn.execute("SELECT tanfang_phone_usable(%s)", (phone,))
    assert await cur.fetchone() == (True,)


@pytest.mark.parametrize("phone", [*PLACEHOLDERS, None])
async def test_a_placeholder_or_no_phone_is_not(conn: Conn, phone: str | None) -> None:
    cur = await conn.execute("SELECT tanfang_phone_usable(%s)", (phone,))
    assert await cur.fetchone() == (False,)
