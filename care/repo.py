"""SQL of the elders' files. Callers own the transaction (the connection's context)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

import psycopg
from psycopg import sql

from care.models import Elder, ElderCreate
from store.db import Condition, Conn, above, equals, fetch_all, fetch_one, where
from store.errors import StoreError
from store.statements import assignments, insert_into

_COLUMNS: Final = tuple(Elder.model_fields)
_SELECT: Final = sql.SQL("SELECT {} FROM elders AS e").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
)
_RETURNING: Final = sql.SQL(" RETURNING {}").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
)
_WRITABLE: Final = frozenset(ElderCreate.model_fields)
# The plan's class of the row ``e`` of ``elders`` on the day %(on)s (migration 0010's
# function, kept in step with care.category.classify by tests/care/test_category_sql.py).
CATEGORY_SQL: Final = sql.SQL(
    "tanfang_care_category(e.category_override, e.birth_date, e.living_arrangement,"
    " e.incapacitated, e.disability_level, e.low_income, e.family_planning_special,"
    " e.couple_with_dependent, e.cares_for_dependent_child, %(on)s)"
)
NOT_CLASSIFIED: Final = "none"
_ID_MATCHES: Final = sql.SQL("id ILIKE %(q)s")
_ANY_MATCHES: Final = sql.SQL(
    "(id ILIKE %(q)s OR name ILIKE %(q)s OR village ILIKE %(q)s OR phone ILIKE %(q)s)"
)


class DuplicateElderError(StoreError):
    """An elder with this id is already on file."""


async def insert_elder(conn: Conn, elder: ElderCreate) -> Elder:
    values = elder.model_dump()
    query = insert_into("elders", values)
    try:
        stored = await fetch_one(conn, query + _RETURNING, values, Elder)
    except psycopg.errors.UniqueViolation as exc:
        raise DuplicateElderError(elder.id) from exc
    assert stored is not None
    return stored


async def get_elder(conn: Conn, elder_id: str) -> Elder | None:
    return await fetch_one(conn, _SELECT + sql.SQL(" WHERE id = %s"), (elder_id,), Elder)


async def update_elder(conn: Conn, elder_id: str, changes: Mapping[str, object]) -> Elder | None:
    """Apply ``changes`` (field → new value); None when there is no such elder."""
    unknown = set(changes) - _WRITABLE
    if unknown or "id" in changes:
        raise ValueError(f"not changeable: {sorted(unknown | ({'id'} & set(changes)))}")
    if not changes:
        return await get_elder(conn, elder_id)
    query = sql.SQL("UPDATE elders SET {}, updated_at = now() WHERE id = {}").format(
        assignments(changes), sql.Placeholder("_id")
    )
    return await fetch_one(conn, query + _RETURNING, {**changes, "_id": elder_id}, Elder)


async def list_elders(
    conn: Conn,
    *,
    town: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = 50,
    q_id_only: bool = False,
    category: str | None = None,
    on: date | None = None,
) -> Sequence[Elder]:
    """Elders in id order after the id ``after`` (keyset), optionally of one town, of the
    plan's class ``category`` on day ``on`` (``"none"``: not classified) and matching
    ``q`` (a case-insensitive part of the id, name, village or phone; of the id alone with
    ``q_id_only``). The class is computed in the WHERE clause, so a page reads its rows
    in id order and stops at ``limit``, however rare the class."""
    filters = where(
        _in_category(category, on),
        equals("town", town),
        above("id", after),
        _matching(q, id_only=q_id_only),
    )
    query = _SELECT + filters.clause + sql.SQL(" ORDER BY id LIMIT %(limit)s")
    return await fetch_all(conn, query, {**filters.params, "limit": limit}, Elder)


def _in_category(category: str | None, on: date | None) -> Condition | None:
    if category is None:
        return None
    if on is None:
        raise ValueError("a category filter needs the day it is judged on")
    if category == NOT_CLASSIFIED:
        return Condition(CATEGORY_SQL + sql.SQL(" IS NULL"), {"on": on})
    return Condition(CATEGORY_SQL + sql.SQL(" = %(category)s"), {"on": on, "category": category})


def _matching(q: str | None, *, id_only: bool) -> Condition | None:
    if not q:
        return None
    return Condition(_ID_MATCHES if id_only else _ANY_MATCHES, {"q": "%" + _escape_like(q) + "%"})


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
