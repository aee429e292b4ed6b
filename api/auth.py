"""Bearer-token authentication and the four roles.

The admin token is the setting ``TANFANG_ADMIN_TOKEN``; every other token is a row of
``api_tokens`` holding only the SHA-256 of the secret. Missing or unknown token → 401,
a known token whose role may not do this → 403.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Final

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import token_repo
from api.state import StateDep

log = logging.getLogger(__name__)

_TOKEN_PREFIX: Final = "tf_"


class Role(StrEnum):
    ADMIN = "admin"  # everything
    OPERATOR = "operator"  # on call: alerts; elder files and the fleet read-only
    TOWN_STAFF = "town_staff"  # the elders of one town, read and write
    VIEWER = "viewer"  # read-only, identity fields masked


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role, the town of a town_staff token, the token's id (None for the
    admin token of the settings)."""

    role: Role
    town: str | None = None
    token_id: int | None = None

    def may_see_town(self, town: str | None) -> bool:
        return self.role is not Role.TOWN_STAFF or (town is not None and town == self.town)

    @property
    def sees_identity(self) -> bool:
        """Whether single reads show names, phones and addresses unmasked."""
        return self.role is not Role.VIEWER


def new_token() -> str:
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>`: the admin token, or one made by POST /tokens",
)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def authenticate(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    presented = credentials.credentials
    admin = state.settings.admin_token
    if admin and hmac.compare_digest(presented.encode("utf-8"), admin.encode("utf-8")):
        return Principal(Role.ADMIN)
    if not presented.startswith(_TOKEN_PREFIX):
        raise _unauthorized("invalid bearer token")
    async with state.connection() as conn:
        record = await token_repo.find_active_token(conn, hash_token(presented))
    if record is None:
        raise _unauthorized("invalid bearer token")
    try:
        role = Role(record.role)
    except ValueError:
        log.warning("api token %s has an unknown role; refused", record.id)
        raise _unauthorized("invalid bearer token") from None
    return Principal(role, town=record.town, token_id=record.id)


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller, when their role is one of ``roles`` (admin always is)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role} may not do this",
            )
        return principal

    return check


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ElderReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF, Role.VIEWER))]
ElderWriter = Annotated[Principal, Depends(require(Role.TOWN_STAFF))]
FleetReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.VIEWER))]
FleetWriter = Annotated[Principal, Depends(require(Role.ADMIN))]
