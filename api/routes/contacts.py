"""``/api/v1/elders/{id}/contacts``: emergency contacts (緊急聯系人) in the plan's order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from api.auth import ElderReader, ElderWriter
from api.masking import contact_shown
from api.routes.care_common import ElderIdPath, actor_of
from api.schemas import ContactPublic
from api.state import StateDep
from care import services
from care.contacts import ContactCreate

router = APIRouter(tags=["contacts"])


@router.post(
    "/elders/{elder_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=list[ContactPublic],
)
async def add_contact(
    elder_id: ElderIdPath,
    contact: Annotated[ContactCreate, Body()],
    principal: ElderWriter,
    state: StateDep,
) -> list[ContactPublic]:
    """Add an emergency contact; answers the elder's contacts in calling order."""
    async with state.connection() as conn:
        found = await services.add_contact(conn, actor_of(principal), elder_id, contact)
    return [contact_shown(c, masked=False) for c in found]


@router.get("/elders/{elder_id}/contacts", response_model=list[ContactPublic])
async def list_contacts(
    elder_id: ElderIdPath, principal: ElderReader, state: StateDep
) -> list[ContactPublic]:
    """The elder's contacts in calling order: given priorities first, then children,
    relatives, friends and neighbours, others, and last the committee staff."""
    async with state.connection() as conn:
        found = await services.elder_contacts(conn, actor_of(principal), elder_id)
    return [contact_shown(c, masked=not principal.sees_identity) for c in found]
