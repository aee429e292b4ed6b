"""Declared absences' use cases: declare, list, withdraw — with the town rule and the audit
record of the elder's file (``care.access.readable_elder``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from care import absences_repo
from care.absences import Absence, AbsenceCreate
from care.access import readable_elder
from care.audit import Actor
from care.errors import InvalidFieldError, NotFoundError
from store.db import Conn

WHAT: Final = "elder.absences"
OPERATOR: Final = "operator"
# The on-call declares what the family says on the phone (a night at a child's, a hospital
# stay): a longer absence silences an elder's activity alerts for long enough that the
# town staff who know the family declare it.
OPERATOR_MAX_DAYS: Final = 31


async def declare(conn: Conn, actor: Actor, elder_id: str, absence: AbsenceCreate) -> Absence:
    if actor.role == OPERATOR and absence.ends_at - absence.starts_at > timedelta(
        days=OPERATOR_MAX_DAYS
    ):
        raise InvalidFieldError(
            "to",
            f"the on-call declares at most {OPERATOR_MAX_DAYS} days; longer: the town staff",
            absence.ends_at.isoformat(),
        )
    await readable_elder(conn, actor, elder_id, what=WHAT, write=True)
    return await absences_repo.add(conn, elder_id, absence, actor.name)


async def absences(conn: Conn, actor: Actor, elder_id: str) -> list[Absence]:
    await readable_elder(conn, actor, elder_id, what=WHAT)
    return await absences_repo.of_elder(conn, elder_id)


async def withdraw(conn: Conn, actor: Actor, elder_id: str, absence_id: int) -> None:
    await readable_elder(conn, actor, elder_id, what=WHAT, write=True)
    if not await absences_repo.delete(conn, elder_id, absence_id):
        raise NotFoundError("no such absence")
