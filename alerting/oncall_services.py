"""On-call roster use cases: add a shift, who is on duty at a time (or during a range),
remove a shift. The routes hold who may write (admins and operators); here is the town
rule of the reads: town staff see the shifts covering their own town (every-town shifts
included). Each runs in the caller's transaction; ``now`` is passed in."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from alerting import oncall_repo
from alerting.errors import ShiftNotFoundError
from alerting.oncall import OnCallShift, ShiftCreate
from care import audit, audit_repo
from care.access import TOWN_STAFF, scope_town
from care.audit import Actor
from care.errors import InvalidFieldError
from care.town_services import filter_town, registered_town
from store.db import Conn

log = logging.getLogger(__name__)

ENTITY: Final = "on_call_shift"
NO_SUCH_SHIFT: Final = "no such on-call shift"
# A range read is a roster page: a month at most (a shift is at most 31 days too), and at
# most this many shifts, so that one request cannot ask for years of rows.
MAX_RANGE: Final = timedelta(days=31)
MAX_LISTED: Final = 2000


async def add_shift(conn: Conn, actor: Actor, shift: ShiftCreate, now: datetime) -> OnCallShift:
    """Put a shift on the roster, its towns filed under their registered names (repeats
    counted once); InvalidFieldError naming ``towns`` item when a town is not registered,
    with close matches."""
    towns = None if shift.towns is None else await _registered(conn, shift.towns)
    stored = await oncall_repo.insert_shift(
        conn,
        name=shift.name,
        phone=shift.phone,
        towns=towns,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        now=now,
        by=actor.name,
    )
    detail = _about(stored)
    await audit_repo.record(conn, actor, audit.CREATE, ENTITY, str(stored.id), detail=detail)
    log.info("on-call shift %s added by %s", stored.id, actor.name)
    return stored


async def _registered(conn: Conn, towns: list[str]) -> list[str]:
    names: list[str] = []
    for index, value in enumerate(towns):
        name = await registered_town(conn, value, field=("towns", index))
        if name not in names:
            names.append(name)
    return names


async def on_duty_at(conn: Conn, actor: Actor, at: datetime, town: str | None) -> list[OnCallShift]:
    """The shifts on duty at ``at``: for ``town`` (a name or alias) those of every town and
    those naming it; without ``town``, all of them. Town staff get their own town's
    (``town`` of another: ForbiddenError)."""
    scoped = scope_town(actor, await filter_town(conn, town))
    if _sees_no_town(actor, scoped):
        return []
    if scoped is None:
        return await oncall_repo.every_on_duty(conn, at)
    return await oncall_repo.on_duty(conn, scoped, at)


async def on_duty_between(
    conn: Conn, actor: Actor, start: datetime, end: datetime, town: str | None
) -> list[OnCallShift]:
    """The shifts on duty at some time of [``start``, ``end``), as ``on_duty_at`` picks
    them; InvalidFieldError naming ``to`` when the range is empty, longer than
    ``MAX_RANGE`` or holds more than ``MAX_LISTED`` shifts."""
    if end <= start:
        raise InvalidFieldError("to", "'to' must be after 'from'", end.isoformat(), where="query")
    if end - start > MAX_RANGE:
        message = f"a range of at most {MAX_RANGE.days} days"
        raise InvalidFieldError("to", message, end.isoformat(), where="query")
    scoped = scope_town(actor, await filter_town(conn, town))
    if _sees_no_town(actor, scoped):
        return []
    found = await oncall_repo.overlapping(conn, start, end, scoped, limit=MAX_LISTED + 1)
    if len(found) > MAX_LISTED:
        message = f"more than {MAX_LISTED} shifts in this range: ask for a shorter one"
        raise InvalidFieldError("to", message, end.isoformat(), where="query")
    return found


def _sees_no_town(actor: Actor, scoped: str | None) -> bool:
    """A town staff token without a town sees no town's roster (not every town's)."""
    return actor.role == TOWN_STAFF and scoped is None


async def remove_shift(conn: Conn, actor: Actor, shift_id: int) -> None:
    """Take a shift off the roster; ShiftNotFoundError when there is none of that id."""
    removed = await oncall_repo.delete_shift(conn, shift_id)
    if removed is None:
        raise ShiftNotFoundError(NO_SUCH_SHIFT)
    detail = _about(removed)
    await audit_repo.record(conn, actor, audit.DELETE, ENTITY, str(shift_id), detail=detail)
    log.info("on-call shift %s removed by %s", shift_id, actor.name)


def _about(shift: OnCallShift) -> dict[str, object]:
    """What the audit log keeps of a shift: when and where, never who (name, phone)."""
    return {
        "towns": shift.towns,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }
