"""What the database server offers, detected at start."""

from __future__ import annotations

from dataclasses import dataclass

from store.db import Conn
from store.errors import StoreError


@dataclass(frozen=True, slots=True)
class Features:
    timescale: bool
    server_version: int


async def detect(conn: Conn) -> Features:
    """TimescaleDB counts when it is installed in this database, or can be (available and
    preloaded: ``CREATE EXTENSION`` fails without ``shared_preload_libraries``)."""
    cur = await conn.execute(
        "SELECT current_setting('server_version_num')::int,"
        " EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'),"
        " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
        " AND current_setting('shared_preload_libraries') LIKE '%%timescaledb%%'"
    )
    row = await cur.fetchone()
    if row is None:
        raise StoreError("feature detection returned nothing")
    version, installed, loadable = row
    return Features(timescale=bool(installed or loadable), server_version=int(version))
