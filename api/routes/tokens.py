"""``/api/v1/tokens``: API tokens for people and tools (admin only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Body, HTTPException, Path, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api import token_services
from api.auth import Admin, Role, hash_token, new_token
from api.errors import field_error
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.state import AppState, StateDep
from api.token_repo import TokenRecord
from api.token_services import Lifetime, TokenKind
from care.town_services import registered_town
from store.db import Conn

router = APIRouter(prefix="/tokens", tags=["tokens"])

_SAFE_TEXT: Final = r"^[^\x00]+$"
_MAX_TTL_DAYS: Final = 3650
TokenIdPath = Annotated[int, Path(ge=1, le=2**62)]


class TokenLifetime(BaseModel):
    """How long a token lives: ``expires_at`` or ``ttl_days`` (not both); neither: 90 days
    (``TANFANG_TOKEN_TTL_DAYS``) for a person's token, no end for a service token."""

    model_config = ConfigDict(extra="forbid")

    expires_at: AwareDatetime | None = None
    ttl_days: Annotated[int, Field(ge=1, le=_MAX_TTL_DAYS)] | None = None


class TokenCreate(TokenLifetime):
    """A token to make. ``town`` is required for, and only allowed with, ``town_staff``."""

    role: Role
    town: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)]
    kind: TokenKind = TokenKind.PERSON


class TokenPublic(TokenRecord):
    """A token without its secret."""


class TokenCreated(BaseModel):
    """The new token; ``token`` is shown this once and cannot be read again."""

    token: str
    id: int
    role: Role
    town: str | None
    name: str
    kind: TokenKind
    created_at: datetime
    expires_at: datetime | None


class TokenRotated(TokenPublic):
    """The token's new secret, shown this once; the old one works until
    ``previous_expires_at``."""

    token: str


def _refused(exc: token_services.TokenError) -> Exception:
    if exc.field is not None:
        return field_error(("body", exc.field), str(exc), None)
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


async def token_town(conn: Conn, role: Role, town: str | None) -> str | None:
    """The registered name of the town of a token of ``role``: required for ``town_staff``,
    refused for any other role (422 naming ``town``)."""
    if role is Role.TOWN_STAFF and town is None:
        raise field_error(("body", "town"), "required for role town_staff", None)
    if role is not Role.TOWN_STAFF and town is not None:
        raise field_error(("body", "town"), "only a town_staff token has a town", town)
    return None if town is None else await registered_town(conn, town)


def _grace(state: AppState) -> timedelta:
    return timedelta(hours=state.settings.token_rotation_grace_h)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(
    request: Annotated[TokenCreate, Body()], _: Admin, state: StateDep
) -> TokenCreated:
    """Make a token of ``kind`` ``person`` (expires, by default after 90 days) or
    ``service`` (no end unless ``expires_at``/``ttl_days`` give one)."""
    secret = new_token()
    lifetime = Lifetime(request.kind, request.expires_at, request.ttl_days)
    try:
        async with state.connection() as conn:
            town = await token_town(conn, request.role, request.town)
            record = await token_services.create_token(
                conn,
                secret_hash=hash_token(secret),
                role=request.role.value,
                town=town,
                name=request.name,
                lifetime=lifetime,
                now=state.clock(),
                default_days=state.settings.token_ttl_days,
            )
    except token_services.TokenError as exc:
        raise _refused(exc) from None
    return TokenCreated.model_validate({**record.model_dump(), "token": secret})


@router.get("", response_model=Page[TokenPublic])
async def list_tokens(
    _: Admin, state: StateDep, cursor: CursorDep, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[TokenPublic]:
    """Every token, revoked and expired ones included, oldest first; never a secret."""
    after: int | None = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise field_error(("query", "cursor"), "not a cursor from this list", cursor)
        after = int(cursor)
    async with state.connection() as conn:
        rows = await token_services.tokens(conn, after=after, limit=limit + 1)
    return page_of([TokenPublic.model_validate(row.model_dump()) for row in rows], limit)


@router.post("/{token_id}/rotate", response_model=TokenRotated)
async def rotate_token(
    token_id: TokenIdPath,
    _: Admin,
    state: StateDep,
    lifetime: Annotated[TokenLifetime | None, Body()] = None,
) -> TokenRotated:
    """A new secret for a live token. The old secret keeps working for the grace period
    (``TANFANG_TOKEN_ROTATION_GRACE_H``, 24 h), so that its holder can switch without
    downtime. A person's token starts a new lifetime; a service token keeps its end unless
    the body gives one."""
    secret = new_token()
    try:
        async with state.connection() as conn:
            record = await token_services.rotate_token(
                conn,
                token_id,
                secret_hash=hash_token(secret),
                lifetime=None
                if lifetime is None
                else Lifetime(TokenKind.PERSON, lifetime.expires_at, lifetime.ttl_days),
                now=state.clock(),
                grace=_grace(state),
                default_days=state.settings.token_ttl_days,
            )
    except token_services.TokenError as exc:
        raise _refused(exc) from None
    return TokenRotated.model_validate({**record.model_dump(), "token": secret})


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def revoke_token(token_id: TokenIdPath, _: Admin, state: StateDep) -> Response:
    """Revoke a token: from now on it answers 401 (its previous secret too)."""
    try:
        async with state.connection() as conn:
            await token_services.revoke_token(conn, token_id)
    except token_services.TokenError as exc:
        raise _refused(exc) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
