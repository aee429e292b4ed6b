"""The console's sign-in use cases: who a token is (its role, town and name, so that the
console shows what the API will allow), and single-use sign-in codes that an admin or
``tanfang demo`` hands out instead of a token, so that a bearer token never goes into a URL.

A code is random, expires minutes after it is made, works once, and is stored only as its
SHA-256. Spending it makes a new person token that lives the code's session length."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from api import sign_in_repo, token_repo, token_services
from api.auth import Principal, hash_token, new_token
from api.sign_in_repo import CodeGrant
from api.token_services import Lifetime, TokenKind
from store.db import Conn

_CODE_PREFIX: Final = "sc_"
MAX_CODE_LENGTH: Final = 100
# Spent and expired codes are deleted after this long (when a new one is made).
CODE_KEEP: Final = timedelta(hours=1)
# The name of the settings' admin token, which has no row.
SETTINGS_ADMIN_NAME: Final = "admin"


@dataclass(frozen=True, slots=True)
class TokenSelf:
    """What a token may know of itself."""

    role: str
    town: str | None
    name: str
    kind: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The token a code was exchanged for; ``token`` is its secret, shown this once."""

    token: str
    record: token_repo.TokenRecord


async def token_self(conn: Conn, principal: Principal) -> TokenSelf:
    """The caller's own token: role, town, name and end (the settings' admin token: no
    name but ``admin``, no end)."""
    record = (
        None if principal.token_id is None else await token_repo.get_token(conn, principal.token_id)
    )
    if record is None:
        return TokenSelf(str(principal.role), principal.town, SETTINGS_ADMIN_NAME, "service", None)
    return TokenSelf(record.role, record.town, record.name, record.kind, record.expires_at)


async def issue_code(
    conn: Conn, grant: CodeGrant, *, now: datetime, valid_for: timedelta
) -> IssuedCode:
    """A new code that signs in as ``grant`` once, until ``now + valid_for``."""
    code = _CODE_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + valid_for
    await sign_in_repo.prune(conn, now - CODE_KEEP)
    await sign_in_repo.insert(conn, hash_token(code), grant, now=now, expires_at=expires_at)
    return IssuedCode(code, expires_at)


async def redeem_code(conn: Conn, code: str, *, now: datetime) -> SignedIn | None:
    """Spend ``code``: a new person token of its grant, or None when the code is not ours,
    used or expired."""
    if not code.startswith(_CODE_PREFIX) or len(code) > MAX_CODE_LENGTH:
        return None
    grant = await sign_in_repo.redeem(conn, hash_token(code), now)
    if grant is None:
        return None
    secret = new_token()
    lifetime = Lifetime(TokenKind.PERSON, expires_at=now + timedelta(seconds=grant.session_s))
    record = await token_services.create_token(
        conn,
        secret_hash=hash_token(secret),
        role=grant.role,
        town=grant.town,
        name=grant.name,
        lifetime=lifetime,
        now=now,
        default_days=1,  # unused: the lifetime gives its end
    )
    return SignedIn(secret, record)
