"""SQL of the on-call roster, and ``on_duty``: whom the escalator's ``on_call`` step
reaches. Callers own the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from psycopg import sql

from alerting.oncall import OnCallShift
from store.db import Conn, fetch_all, fetch_one

_COLUMNS: Final = sql.SQL("id, name, phone, towns, starts_at, ends_at, created_at")
_INSERT: Final = sql.SQL(
    "INSERT INTO on_call_shifts (name, phone, towns, starts_at, ends_at, created_at, created_by)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {}"
).format(_COLUMNS)
# The town condition of every read: an all-town shift (towns NULL) or one naming the town;
# with ``every``, any shift. A NULL town matches all-town shifts only (NULL = ANY is NULL).
_FOR_TOWN: Final = sql.SQL("(%(every)s OR towns IS NULL OR %(town)s::text = ANY (towns))")
# On duty at an instant: its start included, its end not (the next shift has taken over).
_AT: Final = sql.SQL(
    "SELECT {} FROM on_call_shifts WHERE starts_at <= %(at)s AND ends_at > %(at)s AND {}"
    " ORDER BY starts_at, id"
).format(_COLUMNS, _FOR_TOWN)
# On duty at some instant of [from, to).
_OVERLAPPING: Final = sql.SQL(
    "SELECT {} FROM on_call_shifts WHERE starts_at < %(to)s AND ends_at > %(from)s AND {}"
    " ORDER BY starts_at, id LIMIT %(limit)s"
).format(_COLUMNS, _FOR_TOWN)
_DELETE: Final = sql.SQL("DELETE FROM on_call_shifts WHERE id = %s RETURNING {}").format(_COLUMNS)


async def on_duty(conn: Conn, town: str | None, at: datetime) -> list[OnCallShift]:
    """The shifts on duty at ``at`` for ``town`` (a registered name): those of every town
    and those naming it, by start then id. ``town`` None (an alert of no town): the
    every-town shifts only."""
    params = {"at": at, "town": town, "every": False}
    return await fetch_all(conn, _AT, params, OnCallShift)


async def every_on_duty(conn: Conn, at: datetime) -> list[OnCallShift]:
    """Every shift on duty at ``at``, whatever its towns, by start then id."""
    params = {"at": at, "town": None, "every": True}
    return await fetch_all(conn, _AT, params, OnCallShift)


async def overlapping(
    conn: Conn, start: datetime, end: datetime, town: str | None, *, limit: int
) -> list[OnCallShift]:
    """Up to ``limit`` shifts on duty at some time of [``start``, ``end``) for ``town`` as
    ``on_duty`` reads it, or (``town`` None) every shift, by start then id."""
    params = {"from": start, "to": end, "town": town, "every": town is None, "limit": limit}
    return await fetch_all(conn, _OVERLAPPING, params, OnCallShift)


async def insert_shift(
    conn: Conn,
    *,
    name: str,
    phone: str,
    towns: list[str] | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    by: str,
) -> OnCallShift:
    values = (name, phone, towns, starts_at, ends_at, now, by)
    stored = await fetch_one(conn, _INSERT, values, OnCallShift)
    assert stored is not None  # an INSERT … RETURNING always returns its row
    return stored


async def delete_shift(conn: Conn, shift_id: int) -> OnCallShift | None:
    """Remove a shift; the shift removed, or None when there was none of that id."""
    return await fetch_one(conn, _DELETE, (shift_id,), OnCallShift)
