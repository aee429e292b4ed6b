"""An API app per test, on its own fresh database, with its lifespan running."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from api.app import create_app
from tanfang.settings import Settings

TokenMaker = Callable[..., Awaitable[str]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused_at(response: httpx.Response, *loc: str) -> None:
    """The request was refused with 422, the first error naming ``loc`` (e.g. body, town)."""
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == list(loc)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
        yield c


@pytest.fixture
def admin(admin_token: str) -> dict[str, str]:
    return bearer(admin_token)


@pytest.fixture
def make_token(client: httpx.AsyncClient, admin: dict[str, str]) -> TokenMaker:
    """Make a token of a role through the API, as an admin would."""

    async def make(role: str, town: str | None = None, name: str = "test") -> str:
        body: dict[str, Any] = {"role": role, "name": name}
        if town is not None:
            body["town"] = town
        response = await client.post("/api/v1/tokens", json=body, headers=admin)
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    return make


def elder_body(elder_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": elder_id,
        "name": "王小明",
        "gender": "female",
        "birth_date": "1941-05-02",
        "town": "赤坎鎮",
        "village": "南村",
        "address": "赤坎鎮南村中街12號",
        "phone": "13812345678",
        "living_arrangement": "alone",
    }
    body.update(fields)
    return body


async def execute(database_url: str, query: str, params: tuple[Any, ...] = ()) -> None:
    """Write rows directly, as the gateway would."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute(query, params)
