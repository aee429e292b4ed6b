"""Numbered SQL migrations, applied once each, under an advisory lock.

A file ``NNNN_name.sql`` applies everywhere; ``NNNN_name.timescale.sql`` and
``NNNN_name.postgres.sql`` are the two variants of one step, chosen by what the server offers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import AsyncConnection, sql

from store.db import Conn
from store.errors import MigrationError
from store.features import Features, detect

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every Tanfang process.
_LOCK_KEY = 0x74616E66616E67  # "tanfang"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    text: str


def available(features: Features) -> list[Migration]:
    """The migrations for this server, in order."""
    variant = "timescale" if features.timescale else "postgres"
    chosen: dict[int, Migration] = {}
    for entry in resources.files("store.migrations").iterdir():
        parts = entry.name.split(".")
        if parts[-1] != "sql":
            continue
        if len(parts) == 3 and parts[1] != variant:
            continue
        number, _, name = parts[0].partition("_")
        version = int(number)
        if version in chosen:
            raise MigrationError(f"two migrations numbered {version}")
        chosen[version] = Migration(version, name, entry.read_text(encoding="utf-8"))
    return [chosen[v] for v in sorted(chosen)]


async def migrate(conn: Conn, *, upto: int | None = None) -> list[int]:
    """Bring the schema up to date (or up to version ``upto``, for tests of a data
    migration); return the versions applied now (empty when current)."""
    try:
        await conn.set_autocommit(True)
        await conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            return await _apply_pending(conn, upto)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    except psycopg.Error as exc:
        raise MigrationError(f"migration failed: {exc}") from exc


async def _apply_pending(conn: Conn, upto: int | None) -> list[int]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    cur = await conn.execute("SELECT version FROM schema_migrations")
    done = {row[0] for row in await cur.fetchall()}
    features = await detect(conn)
    applied: list[int] = []
    for migration in available(features):
        if migration.version in done or (upto is not None and migration.version > upto):
            continue
        async with conn.transaction():
            await conn.execute(sql.SQL(migration.text))
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied


async def migrate_url(url: str, *, upto: int | None = None) -> list[int]:
    async with await AsyncConnection.connect(url) as conn:
        return await migrate(conn, upto=upto)
