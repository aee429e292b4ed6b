"""SQL of the towns' registry (migration 0030). Callers own the transaction. Names and
aliases arrive here already in their compared form (``care.towns.town_key``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import psycopg
from psycopg import sql

from care.towns import Town, TownDuty, UnmappedElder, UnmappedToken, town_key
from store.db import Conn, fetch_all, fetch_one, fetch_rows
from store.errors import StoreError

_TOWNS: Final = sql.SQL(
    "SELECT t.name, t.duty_name, t.duty_phone,"
    " coalesce(array_agg(k.key ORDER BY k.key) FILTER (WHERE k.key <> t.name),"
    " ARRAY[]::text[]) AS aliases"
    " FROM towns AS t LEFT JOIN town_keys AS k ON k.town = t.name"
)


class DuplicateTownError(StoreError):
    """A name or alias already names a town."""


async def keys(conn: Conn) -> dict[str, str]:
    """Every name and alias, each with the town it names."""
    rows = await fetch_rows(conn, "SELECT key, town FROM town_keys", ())
    return {str(row["key"]): str(row["town"]) for row in rows}


async def resolve(conn: Conn, key: str) -> str | None:
    """The registered name that ``key`` (a name or alias, compared form) names."""
    rows = await fetch_rows(conn, "SELECT town FROM town_keys WHERE key = %s", (key,))
    return str(rows[0]["town"]) if rows else None


async def list_towns(conn: Conn) -> list[Town]:
    """Every registered town, by name."""
    query = _TOWNS + sql.SQL(" GROUP BY t.name ORDER BY t.name")
    return await fetch_all(conn, query, (), Town)


async def get_town(conn: Conn, name: str) -> Town | None:
    query = _TOWNS + sql.SQL(" WHERE t.name = %s GROUP BY t.name")
    return await fetch_one(conn, query, (name,), Town)


async def insert_town(
    conn: Conn, name: str, aliases: Sequence[str], duty: Mapping[str, str | None]
) -> None:
    """Register a town; DuplicateTownError when its name or an alias names a town already."""
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO towns (name, duty_name, duty_phone) VALUES (%s, %s, %s)",
                (name, duty.get("duty_name"), duty.get("duty_phone")),
            )
            await _add_keys(conn, name, [name, *aliases])
    except psycopg.errors.UniqueViolation as exc:
        raise DuplicateTownError(name) from exc


async def update_town(
    conn: Conn, name: str, aliases: Sequence[str] | None, duty: Mapping[str, str | None]
) -> None:
    """Set the duty fields given and, when ``aliases`` is not None, replace the aliases;
    DuplicateTownError when an alias names another town."""
    if duty:
        columns = [*duty]
        query = sql.SQL("UPDATE towns SET {}, updated_at = now() WHERE name = {}").format(
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in columns
            ),
            sql.Placeholder("name"),
        )
        await conn.execute(query, {**duty, "name": name})
    if aliases is None:
        return
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM town_keys WHERE town = %s AND key <> town", (name,))
            await _add_keys(conn, name, [a for a in aliases if a != name])
    except psycopg.errors.UniqueViolation as exc:
        raise DuplicateTownError(name) from exc


async def _add_keys(conn: Conn, town: str, names: Sequence[str]) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO town_keys (key, town) VALUES (%s, %s)", [(k, town) for k in names]
        )


async def duty_contact(conn: Conn, town: str) -> TownDuty | None:
    """The duty contact of ``town`` (its registered name or an alias, in any spacing or
    width): whom an escalation's ``town`` step notifies. None for an unknown town or one
    without a duty phone."""
    return await fetch_one(
        conn,
        "SELECT t.name AS town, t.duty_name AS name, t.duty_phone AS phone"
        " FROM town_keys AS k JOIN towns AS t ON t.name = k.town"
        " WHERE k.key = %s AND t.duty_phone IS NOT NULL",
        (town_key(town),),
        TownDuty,
    )


async def unmapped_elders(conn: Conn, limit: int) -> list[UnmappedElder]:
    """Elders whose town is no registered name, by id."""
    return await fetch_all(
        conn,
        "SELECT id, town FROM elders AS e"
        " WHERE NOT EXISTS (SELECT 1 FROM towns AS t WHERE t.name = e.town)"
        " ORDER BY id LIMIT %s",
        (limit,),
        UnmappedElder,
    )


async def unmapped_tokens(conn: Conn, limit: int) -> list[UnmappedToken]:
    """Town staff tokens not revoked whose town is no registered name, oldest first."""
    return await fetch_all(
        conn,
        "SELECT id, town, name FROM api_tokens AS a"
        " WHERE role = 'town_staff' AND revoked_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM towns AS t WHERE t.name = a.town)"
        " ORDER BY id LIMIT %s",
        (limit,),
        UnmappedToken,
    )
