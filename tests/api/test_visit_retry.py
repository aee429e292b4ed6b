"""POST /visits with an Idempotency-Key: a client's retry records the visit once."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

API = "/api/v1"
VISIT = {
    "elder_id": "KP-1",
    "method": "phone",
    "visited_at": "2026-05-02T10:00:00+08:00",
    "visitor": "李社工",
}


async def visits_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    listed = (await client.get(f"{API}/elders/KP-1/visits", headers=headers)).json()
    return [v["id"] for v in listed["items"]]


async def test_a_retry_with_the_same_key_records_the_visit_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    keyed = {**admin, "Idempotency-Key": "5b0e3c7a-1f2d-4c55-9b1e-0d7a2f8c1e11"}
    first = await client.post(f"{API}/visits", json=VISIT, headers=keyed)
    again = await client.post(f"{API}/visits", json=VISIT, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert await visits_of(client, admin) == [first.json()["id"]]


async def test_concurrent_retries_with_one_key_store_one_visit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    keyed = {**admin, "Idempotency-Key": "retry-1"}
    answers = await asyncio.gather(
        *(client.post(f"{API}/visits", json=VISIT, headers=keyed) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await visits_of(client, admin)) == 1


async def test_without_a_key_or_with_another_key_each_post_is_a_visit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    await client.post(f"{API}/visits", json=VISIT, headers=admin)
    await client.post(f"{API}/visits", json=VISIT, headers=admin)
    await client.post(f"{API}/visits", json=VISIT, headers={**admin, "Idempotency-Key": "a"})
    await client.post(f"{API}/visits", json=VISIT, headers={**admin, "Idempotency-Key": "b"})
    assert len(await visits_of(client, admin)) == 4


async def test_a_key_reused_for_another_visit_is_409_and_keys_are_per_caller(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    keyed = {**admin, "Idempotency-Key": "k-1"}
    assert (await client.post(f"{API}/visits", json=VISIT, headers=keyed)).status_code == 201
    other = {**VISIT, "method": "in_home"}
    assert (await client.post(f"{API}/visits", json=other, headers=keyed)).status_code == 409
    staff = {**bearer(await make_token("town_staff", town="赤坎鎮")), "Idempotency-Key": "k-1"}
    assert (await client.post(f"{API}/visits", json=VISIT, headers=staff)).status_code == 201
    assert len(await visits_of(client, admin)) == 2


async def test_a_malformed_key_is_422_naming_the_header(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    response = await client.post(
        f"{API}/visits", json=VISIT, headers={**admin, "Idempotency-Key": "x" * 201}
    )
    assert_refused_at(response, "header", "Idempotency-Key")
