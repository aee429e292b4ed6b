"""The API tokens' use cases: make, list, revoke and rotate tokens, and find the token a
request presents. Tokens are the API's own records (``api/token_repo.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from api import token_repo
from api.token_repo import TokenRecord
from store.db import Conn

# last_used_at is written at most this often a token: a busy integration would otherwise
# turn every request into a write, and a minute is as precise as anyone reads it.
LAST_USED_EVERY: Final = timedelta(minutes=1)


class TokenKind(StrEnum):
    PERSON = "person"  # expires (TANFANG_TOKEN_TTL_DAYS unless told otherwise)
    SERVICE = "service"  # a tool's token: no expiry unless told otherwise


class TokenError(Exception):
    """A token use case's refusal; ``field`` names the body field when it is a bad one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NoSuchToken(TokenError):  # noqa: N818 — a refusal, as care's NotFoundError
    """No token with this id (or none that is still live, for a rotation)."""


@dataclass(frozen=True, slots=True)
class Lifetime:
    """How long a new or rotated token lives: an explicit end, a number of days, or the
    default of its kind (``ttl_days`` for people, none for services)."""

    kind: TokenKind
    expires_at: datetime | None = None
    ttl_days: int | None = None

    def end(self, now: datetime, default_days: int) -> datetime | None:
        if self.expires_at is not None and self.ttl_days is not None:
            raise TokenError("give expires_at or ttl_days, not both", "ttl_days")
        if self.expires_at is not None:
            if self.expires_at <= now:
                raise TokenError("expires_at is in the past", "expires_at")
            return self.expires_at
        if self.ttl_days is not None:
            return now + timedelta(days=self.ttl_days)
        if self.kind is TokenKind.PERSON:
            return now + timedelta(days=default_days)
        return None


async def create_token(
    conn: Conn,
    *,
    secret_hash: str,
    role: str,
    town: str | None,
    name: str,
    lifetime: Lifetime,
    now: datetime,
    default_days: int,
) -> TokenRecord:
    """Store a new token (its hash) with its kind and end."""
    return await token_repo.insert_token(
        conn,
        token_hash=secret_hash,
        role=role,
        town=town,
        name=name,
        kind=lifetime.kind.value,
        expires_at=lifetime.end(now, default_days),
    )


async def rotate_token(
    conn: Conn,
    token_id: int,
    *,
    secret_hash: str,
    lifetime: Lifetime | None,
    now: datetime,
    grace: timedelta,
    default_days: int,
) -> TokenRecord:
    """A new secret for a live token; the old one works for ``grace`` more. A person's token
    gets a new lifetime (the default one unless ``lifetime`` says); a service token keeps
    its end unless ``lifetime`` gives one."""
    current = await token_repo.get_token(conn, token_id)
    if current is None or current.revoked_at is not None or _expired(current, now):
        raise NoSuchToken("no such live token (unknown, revoked or expired)")
    kind = TokenKind(current.kind)
    if lifetime is None:
        ends = current.expires_at if kind is TokenKind.SERVICE else None
        if kind is TokenKind.PERSON:
            ends = Lifetime(kind).end(now, default_days)
    else:
        ends = Lifetime(kind, lifetime.expires_at, lifetime.ttl_days).end(now, default_days)
    rotated = await token_repo.rotate(
        conn, token_id, new_hash=secret_hash, now=now, grace=grace, expires_at=ends
    )
    if rotated is None:  # revoked meanwhile
        raise NoSuchToken("no such live token (unknown, revoked or expired)")
    return rotated


def _expired(token: TokenRecord, now: datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now


async def presented(conn: Conn, secret_hash: str, now: datetime) -> TokenRecord | None:
    """The live token a request presents (its current secret, or its previous one within
    the grace period), noting its use at most once a minute; None for any other secret."""
    record = await token_repo.find_active_token(conn, secret_hash, now)
    if record is None:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_EVERY:
        await token_repo.touch(conn, record.id, now, LAST_USED_EVERY)
    return record


async def tokens(conn: Conn, *, after: int | None, limit: int) -> Sequence[TokenRecord]:
    """Up to ``limit`` tokens after id ``after``, oldest first, revoked ones included."""
    return await token_repo.list_tokens(conn, after=after, limit=limit)


async def revoke_token(conn: Conn, token_id: int) -> None:
    if not await token_repo.revoke_token(conn, token_id):
        raise NoSuchToken("no such token")
