"""``/api/v1/elders/{id}/history`` and ``/audit``: what changed in a file, and who read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import Admin, Principal, Role, require
from api.routes.care_common import ElderIdPath, actor_of
from api.state import StateDep
from care import services
from care.audit import AuditEntry
from care.history import ElderChange

router = APIRouter(tags=["elders"])

# Viewers see masked identity, so the history (which holds the old values) is not theirs.
HistoryReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF))]


@router.get("/elders/{elder_id}/history", response_model=list[ElderChange])
async def history(
    elder_id: ElderIdPath,
    principal: HistoryReader,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ElderChange]:
    """Every change of the file, newest first: the fields changed (before and after), who
    made the change and when."""
    async with state.connection() as conn:
        return await services.elder_history(conn, actor_of(principal), elder_id, limit=limit)


@router.get("/elders/{elder_id}/audit", response_model=list[AuditEntry])
async def audit_log(
    elder_id: ElderIdPath,
    _: Admin,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """Who read or changed this file's records, newest first (append-only log)."""
    async with state.connection() as conn:
        return await services.elder_audit(conn, elder_id, limit=limit)
