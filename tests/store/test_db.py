"""The shared database plumbing: reads as models, and WHERE clauses of optional filters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from pydantic import BaseModel

from store import db
from store.db import Condition, Conn, Where

# Three rows to filter, without a table: (id, town, kind).
_ROWS = sql.SQL(
    "SELECT id, town, kind FROM (VALUES (1, 'a', 'x'), (2, 'b', 'x'), (3, 'a', 'y'))"
    " AS t(id, town, kind)"
)


class Item(BaseModel):
    id: int
    town: str
    kind: str


@dataclass(frozen=True, slots=True)
class ItemRecord:
    id: int
    town: str
    kind: str


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as c:
        yield c


async def ids(conn: Conn, filters: Where) -> list[int]:
    query = sql.SQL("SELECT * FROM ({}) AS r{} ORDER BY id").format(_ROWS, filters.clause)
    return [row.id for row in await db.fetch_all(conn, query, filters.params, Item)]


def test_no_filter_given_makes_no_where_clause() -> None:
    filters = db.where(db.equals("town", None), db.above("id", None), None)
    assert filters.clause.as_string(None) == ""
    assert filters.params == {}


def test_given_filters_are_joined_with_and_with_named_parameters() -> None:
    filters = db.where(db.equals("town", "a"), None, db.above("id", 1))
    assert filters.clause.as_string(None) == ' WHERE "town" = %(town)s AND "id" > %(after_id)s'
    assert filters.params == {"town": "a", "after_id": 1}


def test_two_conditions_with_one_parameter_name_are_refused() -> None:
    with pytest.raises(ValueError, match="town"):
        db.where(db.equals("town", "a"), Condition(sql.SQL("town <> %(town)s"), {"town": "b"}))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (db.where(), [1, 2, 3]),
        (db.where(db.equals("town", "a")), [1, 3]),
        (db.where(db.equals("town", "a"), db.equals("kind", "x")), [1]),
        (db.where(db.above("id", 1)), [2, 3]),
        (db.where(db.below("id", 3), db.equals("kind", "x")), [1, 2]),
        (db.where(db.compare("id", ">=", 2, name="lo"), db.compare("id", "<=", 2, name="hi")), [2]),
        (db.where(Condition(sql.SQL("kind = 'y'"))), [3]),
        (db.where(db.within("id", 2, 3)), [2]),
        (db.where(db.within("id", None, 3)), [1, 2]),
        (db.where(db.within("id", 2, None)), [2, 3]),
        (db.where(db.within("id", None, None)), [1, 2, 3]),
    ],
)
async def test_a_where_clause_selects_the_rows_of_its_filters(
    conn: Conn, filters: Where, expected: list[int]
) -> None:
    assert await ids(conn, filters) == expected


async def test_fetch_one_builds_a_pydantic_model_or_a_dataclass_or_gives_none(conn: Conn) -> None:
    query = sql.SQL("SELECT * FROM ({}) AS r WHERE id = %s").format(_ROWS)
    assert await db.fetch_one(conn, query, (2,), Item) == Item(id=2, town="b", kind="x")
    assert await db.fetch_one(conn, query, (3,), ItemRecord) == ItemRecord(3, "a", "y")
    assert await db.fetch_one(conn, query, (9,), Item) is None


async def test_fetch_row_and_rows_give_rows_by_column_name(conn: Conn) -> None:
    query = sql.SQL("SELECT * FROM ({}) AS r WHERE town = %s ORDER BY id").format(_ROWS)
    assert await db.fetch_row(conn, query, ("b",)) == {"id": 2, "town": "b", "kind": "x"}
    assert await db.fetch_row(conn, query, ("z",)) is None
    assert [row["id"] for row in await db.fetch_rows(conn, query, ("a",))] == [1, 3]
