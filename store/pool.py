"""The psycopg 3 async connection pool, opened in a lifespan and never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[TupleRow]]


async def _configure(conn: AsyncConnection[TupleRow]) -> None:
    # Every connection speaks UTC; days and months are cut in the setting's zone by the code.
    await conn.execute("SET TIME ZONE 'UTC'")
    await conn.commit()


def make_pool(url: str, *, min_size: int = 1, max_size: int = 10, name: str = "tanfang") -> Pool:
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        name=name,
        configure=_configure,
        kwargs={"autocommit": False},
    )


@asynccontextmanager
async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncIterator[Pool]:
    """Open a pool for the duration of a lifespan; waits until the first connection works."""
    pool = make_pool(url, min_size=min_size, max_size=max_size)
    await pool.open(wait=True, timeout=30)
    try:
        yield pool
    finally:
        await pool.close()
