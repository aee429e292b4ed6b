"""Token lifetimes: people's tokens expire, service tokens need not, use is noted at most
once a minute, rotation keeps the old secret working for a grace period, and the settings'
admin token can change without a restart of every client at once. Time is an injected
clock, never a sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from tanfang.settings import Settings
from tests.api.conftest import assert_refused_at, bearer

TOKENS = "/api/v1/tokens"
ELDERS = "/api/v1/elders"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed(settings: Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the injected clock."""
    app: FastAPI = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
            yield c


async def _make(client: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        TOKENS, json={"role": "viewer", "name": "bureau", **body}, headers=admin
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def _status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(ELDERS, headers=bearer(token))).status_code


async def _listed(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[int, dict[str, Any]]:
    items = (await client.get(TOKENS, headers=admin)).json()["items"]
    return {item["id"]: item for item in items}


async def test_a_persons_token_expires_after_90_days_and_then_answers_401(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    made = await _make(timed, admin)
    assert made["kind"] == "person"
    assert datetime.fromisoformat(made["expires_at"]) == START + timedelta(days=90)
    clock.advance(days=90, seconds=-1)
    assert await _status(timed, made["token"]) == 200
    clock.advance(seconds=1)
    response = await timed.get(ELDERS, headers=bearer(made["token"]))
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")
    assert response.json() == {"detail": "invalid bearer token"}


async def test_a_service_token_has_no_end_unless_given_one(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    service = await _make(timed, admin, kind="service")
    short = await _make(timed, admin, kind="service", ttl_days=1)
    dated = await _make(timed, admin, expires_at=(START + timedelta(hours=2)).isoformat())
    assert service["expires_at"] is None
    clock.advance(days=3650)
    assert await _status(timed, service["token"]) == 200
    assert await _status(timed, short["token"]) == 401
    assert await _status(timed, dated["token"]) == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"ttl_days": 0}, "ttl_days"),
        ({"ttl_days": 1, "expires_at": "2027-01-01T00:00:00+08:00"}, "ttl_days"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
        ({"expires_at": "2027-01-01T00:00:00"}, "expires_at"),
    ],
    ids=["unknown_kind", "zero_days", "both_ends", "past_end", "naive_end"],
)
async def test_a_bad_lifetime_answers_422_naming_the_field(
    timed: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await timed.post(TOKENS, json={"role": "viewer", "name": "x", **body}, headers=admin)
    assert_refused_at(response, "body", field)


async def test_last_used_is_written_at_most_once_a_minute(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    made = await _make(timed, admin)
    assert (await _listed(timed, admin))[made["id"]]["last_used_at"] is None
    assert await _status(timed, made["token"]) == 200
    clock.advance(seconds=59)
    assert await _status(timed, made["token"]) == 200
    used = (await _listed(timed, admin))[made["id"]]["last_used_at"]
    assert datetime.fromisoformat(used) == START
    clock.advance(seconds=1)
    assert await _status(timed, made["token"]) == 200
    used = (await _listed(timed, admin))[made["id"]]["last_used_at"]
    assert datetime.fromisoformat(used) == START + timedelta(minutes=1)


async def test_the_list_shows_lifetimes_and_never_a_secret_or_hash(
    timed: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = await _make(timed, admin)
    listed = await timed.get(TOKENS, headers=admin)
    (item,) = listed.json()["items"]
    assert set(item) == {
        "id",
        "role",
        "town",
        "name",
        "kind",
        "created_at",
        "expires_at",
        "last_used_at",
        "rotated_at",
        "previous_expires_at",
        "revoked_at",
    }
    assert made["token"] not in listed.text


async def test_a_rotated_tokens_old_secret_works_through_the_grace_period_only(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    made = await _make(timed, admin, kind="service")
    clock.advance(days=10)
    rotated = await timed.post(f"{TOKENS}/{made['id']}/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["token"] != made["token"]
    assert (body["id"], body["kind"], body["expires_at"]) == (made["id"], "service", None)
    rotated_at = START + timedelta(days=10)
    assert datetime.fromisoformat(body["previous_expires_at"]) == rotated_at + timedelta(hours=24)
    clock.advance(hours=24, seconds=-1)
    assert await _status(timed, made["token"]) == 200
    assert await _status(timed, body["token"]) == 200
    clock.advance(seconds=1)
    assert await _status(timed, made["token"]) == 401
    assert await _status(timed, body["token"]) == 200


async def test_rotating_a_persons_token_starts_a_new_lifetime(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    made = await _make(timed, admin)
    clock.advance(days=80)
    body = (await timed.post(f"{TOKENS}/{made['id']}/rotate", headers=admin)).json()
    assert datetime.fromisoformat(body["expires_at"]) == clock.now + timedelta(days=90)
    chosen = await timed.post(f"{TOKENS}/{made['id']}/rotate", json={"ttl_days": 7}, headers=admin)
    assert datetime.fromisoformat(chosen.json()["expires_at"]) == clock.now + timedelta(days=7)


async def test_a_revoked_expired_or_unknown_token_cannot_be_rotated_and_revoking_ends_both(
    timed: httpx.AsyncClient, admin: dict[str, str], clock: Clock
) -> None:
    made = await _make(timed, admin)
    new = (await timed.post(f"{TOKENS}/{made['id']}/rotate", headers=admin)).json()["token"]
    assert (await timed.delete(f"{TOKENS}/{made['id']}", headers=admin)).status_code == 204
    assert (await _status(timed, made["token"]), await _status(timed, new)) == (401, 401)
    again = await timed.post(f"{TOKENS}/{made['id']}/rotate", headers=admin)
    assert again.status_code == 404
    assert (await timed.post(f"{TOKENS}/999999/rotate", headers=admin)).status_code == 404
    old = await _make(timed, admin, ttl_days=1)
    clock.advance(days=2)
    assert (await timed.post(f"{TOKENS}/{old['id']}/rotate", headers=admin)).status_code == 404


async def test_only_an_admin_rotates(timed: httpx.AsyncClient, admin: dict[str, str]) -> None:
    made = await _make(timed, admin, role="operator")
    response = await timed.post(f"{TOKENS}/{made['id']}/rotate", headers=bearer(made["token"]))
    assert response.status_code == 403


async def test_the_previous_admin_token_is_accepted_beside_the_new_one(
    settings: Settings, clock: Clock
) -> None:
    old, new = settings.admin_token, "n3w-" + "Qx7vLp2Rk9ZtWm4Yb8Jc"
    assert old is not None
    rotated = settings.model_copy(update={"admin_token": new, "admin_token_previous": old})
    app = create_app(rotated, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
            assert await _status(client, new) == 200
            assert await _status(client, old) == 200
            assert await _status(client, old + "x") == 401
    done = create_app(settings.model_copy(update={"admin_token": new}), clock=clock)
    async with done.router.lifespan_context(done):
        transport = httpx.ASGITransport(app=done)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
            assert await _status(client, old) == 401
