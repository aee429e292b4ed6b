"""The use cases of the towns' registry, and the one rule every other use case applies to
a town it is given: trimmed, normalised (``care.towns.town_key``) and mapped from an alias
to the registered name; an unknown town is refused with its close matches."""

from __future__ import annotations

from typing import Final

from care import audit, audit_repo, towns_repo
from care.access import scope_town
from care.audit import Actor
from care.errors import ConflictError, FieldPath, InvalidFieldError, NotFoundError
from care.towns import (
    Town,
    TownCreate,
    TownDuty,
    TownUpdate,
    Unmapped,
    close_matches,
    town_key,
    unknown_town_message,
)
from store.db import Conn

NO_SUCH_TOWN: Final = "no such town"
NAME_TAKEN: Final = "a name or alias already names a registered town"
UNMAPPED_LIMIT: Final = 1000


async def registered_town(
    conn: Conn, value: str, *, field: FieldPath = "town", where: str = "body"
) -> str:
    """The registered name ``value`` (a name or alias, in any spacing or width) stands for;
    InvalidFieldError naming ``field`` with up to three close matches otherwise."""
    key = town_key(value)
    found = await towns_repo.resolve(conn, key) if key else None
    if found is not None:
        return found
    suggestions = close_matches(key, await towns_repo.keys(conn)) if key else []
    raise InvalidFieldError(field, unknown_town_message(suggestions), value, where=where)


async def filter_town(conn: Conn, value: str | None) -> str | None:
    """A list's ``town=`` filter as a registered name (aliases accepted); None stays None."""
    if value is None:
        return None
    return await registered_town(conn, value, where="query")


async def listed_town(conn: Conn, actor: Actor, value: str | None) -> str | None:
    """The town a list of another room (the fleet) is about, by care's one rule
    (``care.access.scope_town``): town staff their own, ForbiddenError for another."""
    return scope_town(actor, await filter_town(conn, value))


async def list_towns(conn: Conn) -> list[Town]:
    """Every registered town with its aliases and duty contact."""
    return await towns_repo.list_towns(conn)


async def create_town(conn: Conn, actor: Actor, town: TownCreate) -> Town:
    """Register a town (admins); ConflictError when its name or an alias is taken."""
    duty = {"duty_name": town.duty_name, "duty_phone": town.duty_phone}
    try:
        await towns_repo.insert_town(conn, town.name, town.aliases, duty)
    except towns_repo.DuplicateTownError:
        raise ConflictError(NAME_TAKEN) from None
    await audit_repo.record(conn, actor, audit.CREATE, "town", town.name, town=town.name)
    return await _stored(conn, town.name)


async def update_town(conn: Conn, actor: Actor, name: str, changes: TownUpdate) -> Town:
    """Replace a town's aliases and set its duty contact (admins); the town may be named by
    an alias. NotFoundError for an unknown town, ConflictError for an alias that is taken."""
    town = await towns_repo.resolve(conn, town_key(name))
    if town is None:
        raise NotFoundError(NO_SUCH_TOWN)
    sent = changes.model_fields_set
    duty: dict[str, str | None] = {
        f: getattr(changes, f) for f in ("duty_name", "duty_phone") if f in sent
    }
    try:
        await towns_repo.update_town(conn, town, changes.aliases, duty)
    except towns_repo.DuplicateTownError:
        raise ConflictError(NAME_TAKEN) from None
    detail = {"fields": sorted(sent)}
    await audit_repo.record(conn, actor, audit.UPDATE, "town", town, town=town, detail=detail)
    return await _stored(conn, town)


async def _stored(conn: Conn, name: str) -> Town:
    stored = await towns_repo.get_town(conn, name)
    if stored is None:  # deleted meanwhile: no route deletes towns
        raise NotFoundError(NO_SUCH_TOWN)
    return stored


async def unmapped(conn: Conn) -> Unmapped:
    """Elders and live town staff tokens whose town is no registered town (admins): what
    migration 0030 could not map, until someone assigns a registered town."""
    return Unmapped(
        elders=await towns_repo.unmapped_elders(conn, UNMAPPED_LIMIT),
        tokens=await towns_repo.unmapped_tokens(conn, UNMAPPED_LIMIT),
    )


async def duty_contact(conn: Conn, town: str) -> TownDuty | None:
    """Whom an escalation's ``town`` step notifies for ``town`` (a registered name or an
    alias, in any spacing or width); None when the town is unknown or has no duty phone."""
    return await towns_repo.duty_contact(conn, town)
