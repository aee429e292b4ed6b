"""``/api/v1/elders``: the one-person-one-file record (一人一檔)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, status

from api.auth import ElderReader, ElderWriter
from api.errors import field_error
from api.masking import elder_public
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, encode_cursor
from api.params import plain_text
from api.routes.care_common import (
    NOT_FOUND,
    ElderIdPath,
    actor_of,
    check_town,
    readable_elder,
    refusal_fields,
    scope_town,
)
from api.state import AppState, StateDep
from care import audit, audit_repo, contacts_repo, repo
from care.models import ElderCreate, ElderPublic, ElderUpdate

router = APIRouter(prefix="/elders", tags=["elders"])


class CategoryFilter(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    NONE = "none"


def _filed_on(value: date | None, today: date) -> date:
    """The day the file was opened: today when not given; 422 when it lies in the future."""
    if value is None:
        return today
    if value > today:
        raise field_error(("body", "filed_on"), "a file cannot be opened in the future", str(value))
    return value


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
    check_town(principal, elder.town)
    today = state.today()
    elder = elder.model_copy(
        update=refusal_fields(elder.visit_consent, elder.refusal_reason, elder.refusal_date, today)
        | {"filed_on": _filed_on(elder.filed_on, today)}
    )
    try:
        async with state.connection() as conn:
            await audit_repo.set_actor(conn, actor_of(principal))
            stored = await repo.insert_elder(conn, elder)
            await audit_repo.record(
                conn, actor_of(principal), audit.CREATE, "elder", elder.id, town=elder.town
            )
    except repo.DuplicateElderError:
        raise HTTPException(status.HTTP_409_CONFLICT, "an elder with this id is on file") from None
    return elder_public(stored, state.today(), state.settings.tz, masked=False)


@router.get("/{elder_id}", response_model=ElderPublic)
async def get_elder(elder_id: ElderIdPath, principal: ElderReader, state: StateDep) -> ElderPublic:
    """One file, with name, phone and address shown to roles that may see them."""
    async with state.connection() as conn:
        # Every read of a file is written to the audit log (care.audit), with the check.
        elder = await readable_elder(conn, principal, elder_id, what="elder")
        no_contact = not await contacts_repo.has_contacts(conn, elder_id)
    shown = elder_public(
        elder, state.today(), state.settings.tz, masked=not principal.sees_identity
    )
    return shown.model_copy(update={"no_contact": no_contact})


@router.patch("/{elder_id}", response_model=ElderPublic)
async def update_elder(
    elder_id: ElderIdPath,
    changes: Annotated[ElderUpdate, Body()],
    principal: ElderWriter,
    state: StateDep,
) -> ElderPublic:
    """Change some fields of a file; fields not sent stay as they are."""
    fields = changes.changes()
    if "filed_on" in fields:
        _filed_on(changes.filed_on, state.today())
    if "town" in fields:
        check_town(principal, str(fields["town"]))
    async with state.connection() as conn:
        current = await repo.get_elder(conn, elder_id)
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        check_town(principal, current.town)
        merged = {**current.model_dump(), **fields}
        fields |= refusal_fields(
            merged["visit_consent"],
            merged["refusal_reason"],
            merged["refusal_date"],
            state.today(),
        )
        await audit_repo.set_actor(conn, actor_of(principal))
        updated = await repo.update_elder(conn, elder_id, fields)
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.UPDATE,
            "elder",
            elder_id,
            town=current.town,
            detail={"fields": sorted(fields)},
        )
    if updated is None:  # deleted between the two statements
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return elder_public(updated, state.today(), state.settings.tz, masked=False)


@router.get("", response_model=Page[ElderPublic])
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
) -> Page[ElderPublic]:
    """Files in id order, identity fields masked. Town staff see their own town only
    (``town=`` of another town: 403)."""
    town, q = plain_text(town, "town"), plain_text(q, "q")
    town = scope_town(principal, town)
    # A viewer sees identity masked; a search by name or phone would confirm it, so the
    # viewer's q matches the file id only.
    q_id_only = not principal.sees_identity
    found = await _scan(
        state, town=town, q=q, q_id_only=q_id_only, category=category, after=cursor, limit=limit
    )
    async with state.connection() as conn:
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.LIST,
            "elder",
            None,
            town=town,
            detail={"ids": [e.id for e in found[:limit]]},
        )
    more = len(found) > limit
    items = found[:limit]
    return Page[ElderPublic](items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


async def _scan(
    state: AppState,
    *,
    town: str | None,
    q: str | None,
    q_id_only: bool,
    category: CategoryFilter | None,
    after: str | None,
    limit: int,
) -> list[ElderPublic]:
    """Up to ``limit + 1`` matching files after ``after``, in one keyset query: the class
    is computed by the database (care.repo.CATEGORY_SQL) on today's date."""
    today, tz = state.today(), state.settings.tz
    async with state.connection() as conn:
        rows = await repo.list_elders(
            conn,
            town=town,
            q=q,
            q_id_only=q_id_only,
            after=after,
            limit=limit + 1,
            category=None if category is None else str(category),
            on=today,
        )
    return [elder_public(elder, today, tz, masked=True) for elder in rows]
