"""Who may open the live stream: the bearer token itself (``fetch`` streaming), or a
single-use ticket that the token asked for, because a browser's ``EventSource`` cannot send
an ``Authorization`` header and the long-lived token must never go into a URL.

A ticket is random, expires ``TICKET_TTL_S`` after it is made, works once, and is stored
only as its SHA-256 (any API process on the database accepts it). It carries its token's
role and town; the token must still be live when the ticket is spent, and while the stream
is open (``token_alive`` at each heartbeat).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import ticket_repo, token_repo
from api.auth import Principal, Role, authenticate, hash_token
from api.schemas import StreamTicket
from api.state import AppState, StateDep
from store.db import Conn

# Long enough to open the stream just after asking; short enough that a ticket seen in a
# log or a proxy is spent or useless.
TICKET_TTL_S: Final = 60.0
# Spent and expired tickets are deleted after this long (when a new one is made).
TICKET_KEEP_S: Final = 3600.0
_TICKET_PREFIX: Final = "st_"
MAX_TICKET_LENGTH: Final = 100

_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>`, or `?ticket=` from POST /alerts/stream-ticket",
)


async def issue_ticket(state: AppState, principal: Principal) -> StreamTicket:
    """A new ticket for ``principal``'s role and town."""
    ticket = _TICKET_PREFIX + secrets.token_urlsafe(32)
    now = state.clock()
    expires_at = now + timedelta(seconds=TICKET_TTL_S)
    holder = ticket_repo.TicketHolder(str(principal.role), principal.town, principal.token_id)
    async with state.connection() as conn:
        await ticket_repo.prune(conn, now - timedelta(seconds=TICKET_KEEP_S))
        await ticket_repo.insert(conn, hash_token(ticket), holder, now=now, expires_at=expires_at)
    return StreamTicket(ticket=ticket, expires_at=expires_at)


async def redeem_ticket(state: AppState, ticket: str) -> Principal | None:
    """Spend ``ticket``: who asked for it, or None when it is not ours, used, expired, or
    its token is no longer live."""
    if not ticket.startswith(_TICKET_PREFIX) or len(ticket) > MAX_TICKET_LENGTH:
        return None
    now = state.clock()
    async with state.connection() as conn:
        holder = await ticket_repo.redeem(conn, hash_token(ticket), now)
        role = None if holder is None else _role(holder.role)
        if holder is None or role is None:
            return None
        principal = Principal(role, town=holder.town, token_id=holder.token_id)
        if not await token_alive(conn, principal, now):
            return None
    return principal


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


async def token_alive(conn: Conn, principal: Principal, now: datetime) -> bool:
    """Whether the caller's token is still neither revoked nor expired (the settings' admin
    token always is: it changes only with a restart)."""
    if principal.token_id is None:
        return True
    record = await token_repo.get_token(conn, principal.token_id)
    return (
        record is not None
        and record.revoked_at is None
        and (record.expires_at is None or record.expires_at > now)
    )


async def stream_reader(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None,
        Query(max_length=MAX_TICKET_LENGTH, description="A ticket from POST /alerts/stream-ticket"),
    ] = None,
) -> Principal:
    """The caller of the stream: by ``?ticket=`` when given (spent here), else by the bearer
    token. 401 otherwise. Every role reads alerts, so no role is refused."""
    if ticket is None:
        return await authenticate(state, credentials)
    principal = await redeem_ticket(state, ticket)
    if principal is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid, used or expired stream ticket",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


StreamReader = Annotated[Principal, Depends(stream_reader)]
