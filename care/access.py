"""Who may see which elder: the town rules of town staff, and the read of one file with its
audit record. Every care use case goes through here, so the rules are written once."""

from __future__ import annotations

from typing import Final

from care import audit, audit_repo, repo
from care.audit import Actor, Attempt
from care.errors import ForbiddenError, NotFoundError
from care.models import Elder
from store.db import Conn

TOWN_STAFF: Final = "town_staff"
VIEWER: Final = "viewer"
NO_SUCH_ELDER: Final = "no such elder"
OTHER_TOWN: Final = "this elder belongs to another town"
OTHER_TOWN_LIST: Final = "this token may only see its own town"


def may_see_town(actor: Actor, town: str | None) -> bool:
    return actor.role != TOWN_STAFF or (town is not None and town == actor.town)


def check_town(actor: Actor, town: str | None, what: str, elder_id: str | None) -> None:
    """A single record (an elder, a new file, a file moved to ``town``): ForbiddenError when it
    is of another town than the town staff's, naming ``what`` of ``elder_id`` was asked."""
    if not may_see_town(actor, town):
        raise ForbiddenError(OTHER_TOWN, Attempt(actor, what, elder_id, town))


def scope_town(actor: Actor, town: str | None) -> str | None:
    """The town a list (or a town-wide declaration) is about, the one rule for every care
    use case: town staff get their own town whether ``town`` is left out or names it, and
    ForbiddenError when ``town`` names another (never an empty page that looks like "no rows");
    other roles get ``town`` as asked (None: every town)."""
    if actor.role != TOWN_STAFF:
        return town
    if town is not None and town != actor.town:
        raise ForbiddenError(OTHER_TOWN_LIST, Attempt(actor, "town", town, town))
    return actor.town


async def readable_elder(
    conn: Conn, actor: Actor, elder_id: str, *, what: str, write: bool = False
) -> Elder:
    """The elder's file when the actor may see it (NotFoundError / ForbiddenError otherwise); the
    access is written to the audit log in the caller's transaction."""
    elder = await repo.get_elder(conn, elder_id)
    if elder is None:
        raise NotFoundError(NO_SUCH_ELDER)
    check_town(actor, elder.town, what, elder_id)
    action = audit.UPDATE if write else audit.READ
    await audit_repo.record(conn, actor, action, what, elder_id, town=elder.town)
    return elder
