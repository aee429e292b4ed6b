"""``/api/v1/tokens``: API tokens for people and tools (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Body, HTTPException, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api import token_repo
from api.auth import Admin, Role, hash_token, new_token
from api.errors import field_error
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.state import StateDep
from api.token_repo import TokenRecord
from care.town_services import registered_town

router = APIRouter(prefix="/tokens", tags=["tokens"])

_NO_TOKEN: Final = "no such token"
_SAFE_TEXT: Final = r"^[^\x00]+$"


class TokenCreate(BaseModel):
    """A token to make. ``town`` is required for, and only allowed with, ``town_staff``."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    town: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)]


class TokenPublic(TokenRecord):
    """A token without its secret."""


class TokenCreated(BaseModel):
    """The new token; ``token`` is shown this once and cannot be read again."""

    token: str
    id: int
    role: Role
    town: str | None
    name: str
    created_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(
    request: Annotated[TokenCreate, Body()], _: Admin, state: StateDep
) -> TokenCreated:
    if request.role is Role.TOWN_STAFF and request.town is None:
        raise field_error(("body", "town"), "required for role town_staff", None)
    if request.role is not Role.TOWN_STAFF and request.town is not None:
        raise field_error(("body", "town"), "only a town_staff token has a town", request.town)
    secret = new_token()
    async with state.connection() as conn:
        town = None if request.town is None else await registered_town(conn, request.town)
        record = await token_repo.insert_token(
            conn,
            token_hash=hash_token(secret),
            role=request.role.value,
            town=town,
            name=request.name,
        )
    return TokenCreated(
        token=secret,
        id=record.id,
        role=request.role,
        town=record.town,
        name=record.name,
        created_at=record.created_at,
    )


@router.get("", response_model=Page[TokenPublic])
async def list_tokens(
    _: Admin, state: StateDep, cursor: CursorDep, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[TokenPublic]:
    """Every token, revoked ones included, oldest first."""
    after: int | None = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise field_error(("query", "cursor"), "not a cursor from this list", cursor)
        after = int(cursor)
    async with state.connection() as conn:
        rows = await token_repo.list_tokens(conn, after=after, limit=limit + 1)
    return page_of([TokenPublic.model_validate(row.model_dump()) for row in rows], limit)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**62)], _: Admin, state: StateDep
) -> Response:
    """Revoke a token: from now on it answers 401."""
    async with state.connection() as conn:
        revoked = await token_repo.revoke_token(conn, token_id)
    if not revoked:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_TOKEN)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
