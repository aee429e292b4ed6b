"""SQL built from column names, with psycopg.sql (never string formatting)."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql


def insert_into(table: str, columns: Iterable[str]) -> sql.Composed:
    """``INSERT INTO table (a, b) VALUES (%(a)s, %(b)s)`` for a dict of values."""
    names = list(columns)
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(map(sql.Placeholder, names)),
    )


def assignments(columns: Iterable[str]) -> sql.Composed:
    """``a = %(a)s, b = %(b)s`` for the SET of an UPDATE."""
    return sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in columns
    )
