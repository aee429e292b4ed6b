"""``/api/v1/elders``: the one-person-one-file record (一人一檔)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from api.auth import ElderReader, ElderWriter
from api.masking import elder_read, elder_shown
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, encode_cursor
from api.params import plain_text
from api.routes.care_common import ElderIdPath, actor_of
from api.schemas import ElderPublic, ElderShown
from api.state import StateDep
from care import services
from care.models import ElderCreate, ElderUpdate

router = APIRouter(prefix="/elders", tags=["elders"])


class CategoryFilter(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    NONE = "none"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ElderPublic,
    responses={409: {"description": "an elder with this id is already on file"}},
)
async def create_elder(
    elder: Annotated[ElderCreate, Body()], principal: ElderWriter, state: StateDep
) -> ElderPublic:
    """Open an elder's file. Town staff may file elders of their own town only."""
    async with state.connection() as conn:
        created = await services.create_elder(
            conn, actor_of(principal), elder, today=state.today(), tz=state.settings.tz
        )
    return elder_shown(created, masked=False)


@router.get("/{elder_id}", response_model=ElderShown)
async def get_elder(elder_id: ElderIdPath, principal: ElderReader, state: StateDep) -> ElderShown:
    """One file, with name, phone and address shown to roles that may see them; a viewer's
    is cut down (no birth date, village, address, health flags or category reason)."""
    async with state.connection() as conn:
        found = await services.elder_file(
            conn, actor_of(principal), elder_id, today=state.today(), tz=state.settings.tz
        )
    return elder_read(found, masked=not principal.sees_identity, redacted=principal.redacted)


@router.patch("/{elder_id}", response_model=ElderPublic)
async def update_elder(
    elder_id: ElderIdPath,
    changes: Annotated[ElderUpdate, Body()],
    principal: ElderWriter,
    state: StateDep,
) -> ElderPublic:
    """Change some fields of a file; fields not sent stay as they are."""
    async with state.connection() as conn:
        updated = await services.update_elder(
            conn, actor_of(principal), elder_id, changes, today=state.today(), tz=state.settings.tz
        )
    return elder_shown(updated, masked=False)


@router.get("", response_model=Page[ElderShown])
async def list_elders(
    *,
    principal: ElderReader,
    state: StateDep,
    cursor: CursorDep,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    category: Annotated[
        CategoryFilter | None, Query(description="A, B, C, or `none` (not classified)")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="part of the id, name, village or phone (of the id alone for viewers)",
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[ElderShown]:
    """Files in id order, identity fields masked. Town staff see their own town only
    (``town=`` of another town: 403)."""
    query = services.ElderQuery(
        town=plain_text(town, "town"),
        category=None if category is None else str(category),
        q=plain_text(q, "q"),
        # A viewer sees identity masked; a search by name or phone would confirm it.
        q_id_only=not principal.sees_identity,
        after=cursor,
        limit=limit,
    )
    async with state.connection() as conn:
        found = await services.list_elders(
            conn, actor_of(principal), query, today=state.today(), tz=state.settings.tz
        )
    items = [elder_read(e, masked=True, redacted=principal.redacted) for e in found[:limit]]
    more = len(found) > limit
    return Page[ElderShown](items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
