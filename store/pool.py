"""The psycopg 3 async connection pool, opened in a lifespan and never at import.

After a database outage the pool must be back within a second or two of the database,
however long the outage lasted (docs/ingest.md, "Recovery after a database outage").
psycopg_pool retries a lost connection with a doubling delay (1 s, 2 s, 4 s, … until
``reconnect_timeout``, 5 min by default): after a two-minute outage its next attempt could be
a minute away. Here each series of attempts is cut short (``RECONNECT_WINDOW_S``) and, when it
gives up, a new one starts at once (``_reconnect_again``), so a connection is tried about
every second for as long as the database is away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from psycopg_pool import AsyncConnectionPool

from store.db import Conn

Pool = AsyncConnectionPool[Conn]

# How long one series of reconnection attempts lasts before the pool gives up on it (and
# _reconnect_again starts the next). psycopg_pool waits 1 s after the first failed attempt
# and doubles the wait after each, up to what is left of this window: with 1 s there is
# never more than about a second between two attempts, so a returning database is seen
# within a second whatever the outage's length. Attempts to a down server are refused at
# once and cost it nothing.
RECONNECT_WINDOW_S: Final = 1.0

# One connection attempt gives up after this long. A server that does not answer at all
# (a dead host, a partition) would otherwise hold the attempt for TCP's own timeout, minutes,
# and no other attempt would start meanwhile; a live server answers in milliseconds, and
# libpq takes no less than 2 s.
CONNECT_TIMEOUT_S: Final = 3


async def _configure(conn: Conn) -> None:
    # Every connection speaks UTC; days and months are cut in the setting's zone by the code.
    await conn.execute("SET TIME ZONE 'UTC'")
    await conn.commit()


async def _reconnect_again(pool: Pool) -> None:
    """A series of reconnection attempts ran out: start another at once. ``check`` drops
    the pool's broken connections (a connection to a database that went away) and grows the
    pool again by one, as psycopg_pool does for a client waiting on an empty pool."""
    if not pool.closed:
        await pool.check()


def make_pool(url: str, *, min_size: int = 1, max_size: int = 10, name: str = "tanfang") -> Pool:
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        name=name,
        configure=_configure,
        # A connection is tried (one empty query) before it is handed out: one left broken
        # by an outage is replaced instead of failing the request or batch that drew it.
        check=AsyncConnectionPool.check_connection,
        reconnect_timeout=RECONNECT_WINDOW_S,
        reconnect_failed=_reconnect_again,
        kwargs={"autocommit": False, "connect_timeout": CONNECT_TIMEOUT_S},
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
