"""Request bodies are refused before they are parsed: over TANFANG_API_MAX_BODY_BYTES → 413,
more JSON items than any request of ours holds → 422 (issue 10). The same under load, with
the gateway in the loop: test_loop_under_abuse.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson

from api.limits import MAX_JSON_ITEMS
from tests.api.conftest import assert_refused_at, elder_body

ELDERS = "/api/v1/elders"
MIB = 1024 * 1024


def json_headers(admin: dict[str, str]) -> dict[str, str]:
    return {**admin, "Content-Type": "application/json"}


async def test_a_body_declared_over_the_limit_is_refused_413_with_json(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = b'{"id": "KP-1", "name": "' + b"x" * (10 * MIB) + b'"}'
    response = await client.post(ELDERS, content=body, headers=json_headers(admin))
    assert response.status_code == 413
    assert "TANFANG_API_MAX_BODY_BYTES" in response.json()["detail"]


async def test_a_chunked_body_is_refused_413_once_its_bytes_pass_the_limit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(160):  # 10 MiB, never all read
            sent += 1
            yield b" " * 65536

    response = await client.post(ELDERS, content=chunks(), headers=json_headers(admin))
    assert response.status_code == 413
    assert response.json()["detail"].startswith("request body over")
    assert sent < 160, "the whole body was read"


async def test_a_body_under_the_limit_is_still_taken(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    assert response.status_code == 201, response.text


async def test_a_body_of_too_many_list_items_is_refused_422_before_parsing(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = orjson.dumps({"ids": list(range(1, MAX_JSON_ITEMS + 100))})
    assert len(body) < MIB
    response = await client.post(
        "/api/v1/dead-letters/replay", content=body, headers=json_headers(admin)
    )
    assert_refused_at(response, "body")
    assert response.json()["detail"][0]["type"] == "too_many_items"


async def test_json_nested_a_million_deep_is_refused_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for depth in (500_000, 5_000):  # past the item cap; under it, past the parser's recursion
        body = b"[" * depth + b"]" * depth
        response = await client.post(ELDERS, content=body, headers=json_headers(admin))
        assert_refused_at(response, "body")


async def test_a_refused_list_is_named_by_its_size_not_echoed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = elder_body("KP-1", nickname=["x" * 50] * 10_000)
    response = await client.post(ELDERS, json=body, headers=admin)
    assert_refused_at(response, "body", "nickname")
    assert response.json()["detail"][0]["input"] == "<list of 10000 items>"
