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

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import token_services
from api.metrics import route_template
from api.state import StateDep
from care.audit import Actor, Attempt
from care.errors import ForbiddenError

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
    def actor(self) -> Actor:
        """The caller as a use case and the audit log name them: who, role, town."""
        name = "admin" if self.token_id is None else f"token:{self.token_id}"
        return Actor(name, str(self.role), self.town)

    @property
    def sees_identity(self) -> bool:
        """Whether single reads show names, phones and addresses unmasked."""
        return self.role is not Role.VIEWER

    @property
    def redacted(self) -> bool:
        """Whether answers are cut down to what a viewer sees: no birth date, village,
        health, category reason, event times (docs/api.md, "What each role sees")."""
        return self.role is Role.VIEWER


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
    if _is_admin_token(presented, state.settings.admin_token, state.settings.admin_token_previous):
        return Principal(Role.ADMIN)
    if not presented.startswith(_TOKEN_PREFIX):
        raise _unauthorized("invalid bearer token")
    async with state.connection() as conn:
        record = await token_services.presented(conn, hash_token(presented), state.clock())
    if record is None:  # unknown, revoked, expired, or an old secret past its grace period
        raise _unauthorized("invalid bearer token")
    try:
        role = Role(record.role)
    except ValueError:
        log.warning("api token %s has an unknown role; refused", record.id)
        raise _unauthorized("invalid bearer token") from None
    return Principal(role, town=record.town, token_id=record.id)


def _is_admin_token(presented: str, current: str | None, previous: str | None) -> bool:
    """The settings' admin token, or the one before it while TANFANG_ADMIN_TOKEN_PREVIOUS
    names it (compared in constant time; both always compared)."""
    given = presented.encode("utf-8")
    matches = [hmac.compare_digest(given, t.encode("utf-8")) for t in (current, previous) if t]
    if len(matches) == 2 and matches[1] and not matches[0] and not _previous_used:
        # Once a process: it says that some client has not moved to the new token yet.
        _previous_used.add(True)
        log.warning("the previous admin token (TANFANG_ADMIN_TOKEN_PREVIOUS) is still in use")
    return any(matches)


_previous_used: set[bool] = set()


def require(*roles: Role) -> Callable[[Request, Principal], Awaitable[Principal]]:
    """A dependency: the caller, when their role is one of ``roles`` (admin always is)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> Principal:
        if principal.role not in allowed:
            message = f"role {principal.role} may not do this"
            attempt = _attempt(request, principal)
            if attempt is not None:  # an elder's data: the refusal is audited (api/errors.py)
                raise ForbiddenError(message, attempt)
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=message)
        return principal

    return check


def _attempt(request: Request, principal: Principal) -> Attempt | None:
    """What a refused caller asked of an elder's data (``/elders/{elder_id}…``, a device's
    events), or None for routes that are not about one elder."""
    template = route_template(request.scope)
    elder_id = request.path_params.get("elder_id")
    if isinstance(elder_id, str):
        suffix = template.partition("{elder_id}")[2].strip("/").replace("/", ".")
        return Attempt(principal.actor, "elder." + suffix if suffix else "elder", elder_id)
    device_id = request.path_params.get("device_id")
    if isinstance(device_id, str) and template.endswith("/events"):
        return Attempt(principal.actor, "device.events", device_id)
    return None


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ElderReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF, Role.VIEWER))]
ElderWriter = Annotated[Principal, Depends(require(Role.TOWN_STAFF))]
# A declared absence silences alerts rather than changing the file: the on-call, who hears
# it on the phone while handling an alert ("she is at her daughter's"), declares it too.
AbsenceWriter = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF))]
# When an elder is away and why (a hospital stay) is how they are and when they are home:
# not a viewer's to see.
AbsenceReader = AbsenceWriter
FleetReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.VIEWER))]
FleetWriter = Annotated[Principal, Depends(require(Role.ADMIN))]
# A device's events are when its elder is at home or out: not a viewer's to see; town
# staff see those of their own town's homes (devices.services.device_events).
EventReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF))]
