"""Database faults on demand, for tests of what the gateway does when a write fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg import sql

# RAISE EXCEPTION's own SQLSTATE (psycopg's errors.RaiseException).
RAISE_EXCEPTION = "P0001"

_CREATE = sql.SQL(
    "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " RAISE EXCEPTION USING ERRCODE = {sqlstate}, MESSAGE = 'refused row ' || row_to_json(NEW);"
    " END$$;"
    " CREATE TRIGGER {trigger} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
)
_DROP = sql.SQL("DROP TRIGGER {trigger} ON {table}; DROP FUNCTION {function}()")


@asynccontextmanager
async def refusing(
    database_url: str, table: str, *, sqlstate: str = RAISE_EXCEPTION
) -> AsyncIterator[None]:
    """While the block runs, every row inserted into ``table`` fails with ``sqlstate``; the
    error's text quotes the row, as constraint and trigger errors do. Once it ends, the table
    takes rows again."""
    names = {
        "function": sql.Identifier(f"tanfang_test_refuse_{table}"),
        "trigger": sql.Identifier("tanfang_test_refuse"),
        "table": sql.Identifier(table),
    }
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(_CREATE.format(**names, sqlstate=sql.Literal(sqlstate)))
    try:
        yield
    finally:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(_DROP.format(**names))
