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

_IN_TOWN: Final = sql.SQL("(%(town)s::text IS NULL OR e.town = %(town)s)")

# Whether a phone can be called: migration 0045's tanfang_phone_usable (at least 7 digits,
# not one digit repeated, not an ascending run). The unusable contacts are few and indexed
# (contacts_unusable_phone): both lists start from them, never from every contact's phone.
_UNUSABLE: Final = sql.SQL(
    "unusable AS MATERIALIZED (SELECT c.id, c.elder_id, c.relation, c.phone"
    " FROM contacts AS c WHERE NOT tanfang_phone_usable(c.phone))"
)

_ELDERS: Final = sql.SQL(
    "WITH {unusable}, hit AS ("
    # no contact at all: an anti-join on contacts_elder
    " SELECT e.id FROM elders AS e"
    " WHERE NOT EXISTS (SELECT 1 FROM contacts AS c WHERE c.elder_id = e.id)"
    " UNION"
    # contacts, all of them unusable
    " SELECT u.elder_id FROM unusable AS u GROUP BY u.elder_id"
    " HAVING count(*) = (SELECT count(*) FROM contacts AS k WHERE k.elder_id = u.elder_id))"
    " SELECT e.id AS elder_id, e.town,"
    " (SELECT count(*) FROM contacts AS k WHERE k.elder_id = e.id)::int AS contacts,"
    " count(*) OVER () AS total"
    " FROM hit JOIN elders AS e ON e.id = hit.id WHERE {in_town}"
    " ORDER BY e.town NULLS LAST, e.id LIMIT %(limit)s"
).format(unusable=_UNUSABLE, in_town=_IN_TOWN)

_CONTACTS: Final = sql.SQL(
    "WITH {unusable}"
    " SELECT u.id AS contact_id, u.elder_id, e.town, u.relation, u.phone,"
    " count(*) OVER () AS total"
    " FROM unusable AS u JOIN elders AS e ON e.id = u.elder_id WHERE {in_town}"
    " ORDER BY e.town NULLS LAST, u.elder_id, u.id LIMIT %(limit)s"
).format(unusable=_UNUSABLE, in_town=_IN_TOWN)

# The towns that have elders (the elders_town index), with their registry row's duty phone.
_TOWNS: Final = sql.SQL(
    "SELECT e.town, count(*)::int AS elders, (t.name IS NOT NULL) AS registered,"
    " t.duty_phone IS NOT NULL AS has_duty_phone,"
    " NOT tanfang_phone_usable(t.duty_phone) AS unusable_duty_phone"
    " FROM elders AS e LEFT JOIN towns AS t ON t.name = e.town"
    " WHERE e.town IS NOT NULL AND {in_town}"
    " GROUP BY e.town, t.name, t.duty_phone ORDER BY e.town"
).format(in_town=_IN_TOWN)


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
