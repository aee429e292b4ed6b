"""SQL of the escalation paths' holes (``GET /alerts/coverage``): each list in one query
over every elder on file (100 000 and more), cut at a limit and counted whole. Callers own
the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from psycopg import sql

from alerting.coverage import ContactWithoutPhone, ElderWithoutContacts
from store.db import Conn, fetch_rows

T = TypeVar("T")

# The shortest number worth dialling: a Chinese fixed line has 7 or 8 digits without its
# area code, a mobile 11; fewer digits are a service number (110, 120) or a placeholder.
MIN_PHONE_DIGITS: Final = 7
# Placeholders people type when a form wants a number they do not have: one digit repeated
# (0000000, 13333333333 is not: two digits) and an ascending run (1234567, 12345678901).
_RUN: Final = "01234567890123456789"


def _unusable(column: str) -> sql.Composed:
    """Whether the phone in ``column`` cannot be called: too few digits, one digit
    repeated, a run of the ``_RUN`` string; a NULL phone is unusable too."""
    digits = sql.SQL("regexp_replace(coalesce({}, ''), '[^0-9]', '', 'g')").format(sql.SQL(column))
    return sql.SQL("(length({d}) < {min} OR {d} ~ '^(.)\\1*$' OR strpos({run}, {d}) > 0)").format(
        d=digits, min=sql.Literal(MIN_PHONE_DIGITS), run=sql.Literal(_RUN)
    )


_IN_TOWN: Final = sql.SQL("(%(town)s::text IS NULL OR e.town = %(town)s)")

# Elders none of whose contacts can be called (an anti-join on contacts_elder), with how
# many contacts they have; ``total`` counts them all before the limit.
_ELDERS: Final = sql.SQL(
    "SELECT e.id AS elder_id, e.town,"
    " (SELECT count(*) FROM contacts AS k WHERE k.elder_id = e.id)::int AS contacts,"
    " count(*) OVER () AS total"
    " FROM elders AS e WHERE {in_town}"
    " AND NOT EXISTS (SELECT 1 FROM contacts AS c WHERE c.elder_id = e.id AND NOT {unusable})"
    " ORDER BY e.town NULLS LAST, e.id LIMIT %(limit)s"
).format(in_town=_IN_TOWN, unusable=_unusable("c.phone"))

_CONTACTS: Final = sql.SQL(
    "SELECT c.id AS contact_id, c.elder_id, e.town, c.relation, c.phone,"
    " count(*) OVER () AS total"
    " FROM contacts AS c JOIN elders AS e ON e.id = c.elder_id"
    " WHERE {in_town} AND {unusable}"
    " ORDER BY e.town NULLS LAST, c.elder_id, c.id LIMIT %(limit)s"
).format(in_town=_IN_TOWN, unusable=_unusable("c.phone"))

# The towns that have elders (the elders_town index), with their registry row's duty phone.
_TOWNS: Final = sql.SQL(
    "SELECT e.town, count(*)::int AS elders, (t.name IS NOT NULL) AS registered,"
    " t.duty_phone IS NOT NULL AS has_duty_phone, {unusable} AS unusable_duty_phone"
    " FROM elders AS e LEFT JOIN towns AS t ON t.name = e.town"
    " WHERE e.town IS NOT NULL AND {in_town}"
    " GROUP BY e.town, t.name, t.duty_phone ORDER BY e.town"
).format(in_town=_IN_TOWN, unusable=_unusable("t.duty_phone"))


@dataclass(frozen=True, slots=True)
class Listed(Generic[T]):
    """The first ``limit`` entries of a list and how many there are in all."""

    items: list[T]
    total: int


@dataclass(frozen=True, slots=True)
class TownDutyRow:
    """A town that has elders: how many, whether it is registered, its duty phone."""

    town: str
    elders: int
    registered: bool
    has_duty_phone: bool
    unusable_duty_phone: bool


async def elders_without_contacts(
    conn: Conn, town: str | None, limit: int
) -> Listed[ElderWithoutContacts]:
    """Elders (of ``town``; None: all) none of whose contacts has a usable phone."""
    rows = await fetch_rows(conn, _ELDERS, {"town": town, "limit": limit})
    total = int(rows[0]["total"]) if rows else 0
    return Listed([ElderWithoutContacts.model_validate(r) for r in rows], total)


async def contacts_without_phone(
    conn: Conn, town: str | None, limit: int
) -> Listed[ContactWithoutPhone]:
    """Contacts (of ``town``'s elders; None: all) whose phone cannot be called."""
    rows = await fetch_rows(conn, _CONTACTS, {"town": town, "limit": limit})
    total = int(rows[0]["total"]) if rows else 0
    return Listed([ContactWithoutPhone.model_validate(r) for r in rows], total)


async def towns_with_elders(conn: Conn, town: str | None) -> list[TownDutyRow]:
    """Every town (``town`` only, when given) that has elders on file, by name."""
    rows = await fetch_rows(conn, _TOWNS, {"town": town})
    return [TownDutyRow(**row) for row in rows]
