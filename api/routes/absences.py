"""``/api/v1/elders/{id}/absences``: declared absences (hospital, staying with family), while
which no activity-based alert is raised for the elder (contract §2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from api.auth import AbsenceReader, AbsenceWriter
from api.routes.care_common import ElderIdPath, actor_of
from api.state import StateDep
from care import absence_services
from care.absences import Absence, AbsenceCreate

router = APIRouter(tags=["absences"])


@router.post(
    "/elders/{elder_id}/absences", status_code=status.HTTP_201_CREATED, response_model=Absence
)
async def declare(
    elder_id: ElderIdPath,
    absence: Annotated[AbsenceCreate, Body()],
    principal: AbsenceWriter,
    state: StateDep,
) -> Absence:
    """Declare an absence ``{"from", "to", "reason"}``; in force within one sweep."""
    async with state.connection() as conn:
        return await absence_services.declare(conn, actor_of(principal), elder_id, absence)


@router.get("/elders/{elder_id}/absences", response_model=list[Absence])
async def absences(
    elder_id: ElderIdPath, principal: AbsenceReader, state: StateDep
) -> list[Absence]:
    """The elder's absences, latest first."""
    async with state.connection() as conn:
        return await absence_services.absences(conn, actor_of(principal), elder_id)


@router.delete("/elders/{elder_id}/absences/{absence_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw(
    elder_id: ElderIdPath,
    absence_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: AbsenceWriter,
    state: StateDep,
) -> Response:
    """Withdraw an absence (the elder came back early, or it was declared by mistake)."""
    async with state.connection() as conn:
        await absence_services.withdraw(conn, actor_of(principal), elder_id, absence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
