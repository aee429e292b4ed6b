"""The console's sign-in routes: ``GET /tokens/self`` (who the presented token is),
``POST /tokens/sign-in-codes`` (admin: a single-use code instead of a token in a link) and
``POST /sign-in`` (no token: spend a code for a new person token)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Body, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from api import sign_in_services
from api.auth import Admin, Principal, Role, authenticate
from api.routes.tokens import TokenCreated, token_town
from api.sign_in_repo import CodeGrant
from api.sign_in_services import MAX_CODE_LENGTH
from api.state import StateDep

router = APIRouter(tags=["tokens"])

_SAFE_TEXT: Final = r"^[^\x00]+$"
# Long enough to open a link just printed or sent; short enough that one seen later in a
# chat or a terminal's scrollback is spent or useless.
DEFAULT_CODE_VALID_S: Final = 600
MAX_CODE_VALID_S: Final = 86_400
# A console session signed in by a code: a working day or a night shift.
DEFAULT_SESSION_H: Final = 12
MAX_SESSION_H: Final = 24 * 30
CONSOLE_SIGN_IN_PATH: Final = "/console/#signin="


class TokenSelfOut(BaseModel):
    """The presented token: what the console shows and allows."""

    model_config = ConfigDict(from_attributes=True)

    role: Role
    town: str | None
    name: str
    kind: str
    expires_at: datetime | None


class SignInCodeCreate(BaseModel):
    """A code that signs in once as a new person token of ``role`` (and ``town`` for
    ``town_staff``) named ``name``."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    town: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_SAFE_TEXT)]
    valid_for_s: Annotated[int, Field(ge=30, le=MAX_CODE_VALID_S)] = DEFAULT_CODE_VALID_S
    session_hours: Annotated[int, Field(ge=1, le=MAX_SESSION_H)] = DEFAULT_SESSION_H


class SignInCodeOut(BaseModel):
    """The code (shown this once) and the console path that spends it: the code rides in
    the URL's fragment, which browsers never send to a server."""

    code: str
    expires_at: datetime
    path: str


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=1, max_length=MAX_CODE_LENGTH)]


@router.get("/tokens/self", response_model=TokenSelfOut)
async def token_self(
    principal: Annotated[Principal, Depends(authenticate)], state: StateDep
) -> TokenSelfOut:
    """The presented token's role, town, name and end: any live token may ask."""
    async with state.connection() as conn:
        found = await sign_in_services.token_self(conn, principal)
    return TokenSelfOut.model_validate(found, from_attributes=True)


@router.post(
    "/tokens/sign-in-codes", response_model=SignInCodeOut, status_code=status.HTTP_201_CREATED
)
async def create_sign_in_code(
    request: Annotated[SignInCodeCreate, Body()], _: Admin, state: StateDep
) -> SignInCodeOut:
    """A single-use code, valid ``valid_for_s`` (default 600 s), that the console exchanges
    for a new person token living ``session_hours`` (default 12)."""
    async with state.connection() as conn:
        town = await token_town(conn, request.role, request.town)
        grant = CodeGrant(request.role.value, town, request.name, request.session_hours * 3600)
        issued = await sign_in_services.issue_code(
            conn, grant, now=state.clock(), valid_for=timedelta(seconds=request.valid_for_s)
        )
    return SignInCodeOut(
        code=issued.code, expires_at=issued.expires_at, path=CONSOLE_SIGN_IN_PATH + issued.code
    )


@router.post("/sign-in", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
async def sign_in(request: Annotated[SignInRequest, Body()], state: StateDep) -> TokenCreated:
    """Spend a sign-in code (no bearer token): a new person token, shown this once. 401
    when the code is unknown, used or expired."""
    async with state.connection() as conn:
        signed_in = await sign_in_services.redeem_code(conn, request.code, now=state.clock())
    if signed_in is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid, used or expired sign-in code")
    return TokenCreated.model_validate({**signed_in.record.model_dump(), "token": signed_in.token})
