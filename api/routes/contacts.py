"""``/api/v1/elders/{id}/contacts``: emergency contacts (緊急聯系人) in the plan's order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from api.auth import ElderReader, ElderWriter
from api.masking import contact_shown
from api.routes.care_common import ElderIdPath, actor_of, readable_elder
from api.state import StateDep
from care import contacts_repo
from care.contacts import ContactCreate, ContactPublic

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
        await readable_elder(conn, principal, elder_id, what="elder.contacts", write=True)
        await contacts_repo.add_contact(conn, elder_id, contact, actor_of(principal).name)
        found = await contacts_repo.list_contacts(conn, elder_id)
    return [ContactPublic.of(c, i) for i, c in enumerate(found, start=1)]


@router.get("/elders/{elder_id}/contacts", response_model=list[ContactPublic])
async def list_contacts(
    elder_id: ElderIdPath, principal: ElderReader, state: StateDep
) -> list[ContactPublic]:
    """The elder's contacts in calling order: given priorities first, then children,
    relatives, friends and neighbours, others, and last the committee staff."""
    async with state.connection() as conn:
        await readable_elder(conn, principal, elder_id, what="elder.contacts")
        found = await contacts_repo.list_contacts(conn, elder_id)
    masked = not principal.sees_identity
    return [
        contact_shown(ContactPublic.of(c, i), masked=masked) for i, c in enumerate(found, start=1)
    ]
