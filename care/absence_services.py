"""Declared absences' use cases: declare, list, withdraw — with the town rule and the audit
record of the elder's file (``care.access.readable_elder``)."""

from __future__ import annotations

from typing import Final

from care import absences_repo
from care.absences import Absence, AbsenceCreate
from care.access import readable_elder
from care.audit import Actor
from care.errors import NotFoundError
from store.db import Conn

WHAT: Final = "elder.absences"


async def declare(conn: Conn, actor: Actor, elder_id: str, absence: AbsenceCreate) -> Absence:
    await readable_elder(conn, actor, elder_id, what=WHAT, write=True)
    return await absences_repo.add(conn, elder_id, absence, actor.name)


async def absences(conn: Conn, actor: Actor, elder_id: str) -> list[Absence]:
    await readable_elder(conn, actor, elder_id, what=WHAT)
    return await absences_repo.of_elder(conn, elder_id)


async def withdraw(conn: Conn, actor: Actor, elder_id: str, absence_id: int) -> None:
    await readable_elder(conn, actor, elder_id, what=WHAT, write=True)
    if not await absences_repo.delete(conn, elder_id, absence_id):
        raise NotFoundError("no such absence")
