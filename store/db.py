"""Database plumbing every repository shares: the connection type, reads that come back as
models, and WHERE clauses made of optional filters.

Repositories compose their SQL with ``psycopg.sql`` and hand it here; nothing in this
module knows a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, LiteralString, TypeAlias, TypeVar

from psycopg import AsyncConnection, sql
from psycopg.abc import Params
from psycopg.rows import TupleRow, class_row, dict_row

Conn: TypeAlias = AsyncConnection[TupleRow]
"""A connection as the pool hands it out: rows are tuples unless a read asks otherwise."""

Query: TypeAlias = LiteralString | sql.SQL | sql.Composed
"""A statement: a literal string, or SQL composed with ``psycopg.sql`` (never formatted)."""

Row: TypeAlias = dict[str, Any]
"""A row by column name, for reads that reshape it before it becomes a model."""

T = TypeVar("T")
Operator: TypeAlias = Literal["=", "<", "<=", ">", ">="]

_NOTHING: Final = sql.SQL("")


async def fetch_one(conn: Conn, query: Query, params: Params, model: type[T]) -> T | None:
    """The first row of ``query`` as a ``model`` (a pydantic model or a dataclass, built from
    the row's columns by name); None when there is no row."""
    async with conn.cursor(row_factory=class_row(model)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def fetch_all(conn: Conn, query: Query, params: Params, model: type[T]) -> list[T]:
    """Every row of ``query``, each as a ``model``."""
    async with conn.cursor(row_factory=class_row(model)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def fetch_row(conn: Conn, query: Query, params: Params) -> Row | None:
    """The first row of ``query`` by column name; None when there is no row."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def fetch_rows(conn: Conn, query: Query, params: Params) -> list[Row]:
    """Every row of ``query`` by column name."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a WHERE clause and the named parameters its placeholders use."""

    clause: sql.Composable
    params: Mapping[str, object] = field(default_factory=dict)


def equals(column: str, value: object | None) -> Condition | None:
    """``column = value``, or no condition when ``value`` is None (the filter was not given).
    The parameter is named after the column."""
    if value is None:
        return None
    return _compare(column, "=", column, value)


def above(column: str, value: object | None) -> Condition | None:
    """``column > value`` (a keyset cursor in ascending order), or nothing for None. The
    parameter is named ``after_<column>``."""
    if value is None:
        return None
    return _compare(column, ">", f"after_{column}", value)


def below(column: str, value: object | None) -> Condition | None:
    """``column < value`` (a keyset cursor in descending order), or nothing for None. The
    parameter is named ``before_<column>``."""
    if value is None:
        return None
    return _compare(column, "<", f"before_{column}", value)


def compare(
    column: str, operator: Operator, value: object | None, *, name: str
) -> Condition | None:
    """``column <operator> value`` with the parameter ``name``, or no condition when
    ``value`` is None."""
    if value is None:
        return None
    return _compare(column, operator, name, value)


def within(column: str, start: object | None, end: object | None) -> Condition | None:
    """``column`` in the half-open window [start, end): either bound may be None (open on
    that side), both None is no condition. Parameters ``from_<column>``, ``to_<column>``."""
    bounds = [
        bound
        for bound in (
            compare(column, ">=", start, name=f"from_{column}"),
            compare(column, "<", end, name=f"to_{column}"),
        )
        if bound is not None
    ]
    if not bounds:
        return None
    params = {name: value for bound in bounds for name, value in bound.params.items()}
    return Condition(sql.SQL(" AND ").join(bound.clause for bound in bounds), params)


def _compare(column: str, operator: Operator, name: str, value: object) -> Condition:
    clause = sql.SQL("{} {} {}").format(
        sql.Identifier(column), sql.SQL(operator), sql.Placeholder(name)
    )
    return Condition(clause, {name: value})


@dataclass(frozen=True, slots=True)
class Where:
    """A WHERE clause (empty when no condition was given) and its named parameters."""

    clause: sql.Composable
    params: dict[str, object]


def where(*conditions: Condition | None) -> Where:
    """The conditions given (None: a filter left out) joined with AND.

    The parameters of the conditions are merged; a query adds its own (a LIMIT) to
    ``params``. Every placeholder is named, so two conditions must not share a name."""
    given = [c for c in conditions if c is not None]
    params: dict[str, object] = {}
    for condition in given:
        clash = params.keys() & condition.params.keys()
        if clash:
            raise ValueError(f"two conditions use the parameters {sorted(clash)}")
        params.update(condition.params)
    if not given:
        return Where(_NOTHING, params)
    joined = sql.SQL(" AND ").join(c.clause for c in given)
    return Where(sql.SQL(" WHERE ") + joined, params)
