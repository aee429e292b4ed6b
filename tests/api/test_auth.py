"""Bearer tokens: 401 for missing or wrong ones, 403 for roles that may not."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

ELDERS = "/api/v1/elders"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "Bearer tf_made-up-token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "wrong", "unknown-db-token", "basic-scheme", "empty"],
)
async def test_api_without_a_valid_token_answers_401_with_bearer_challenge(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(ELDERS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_admin_token_from_settings_is_accepted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get(ELDERS, headers=admin)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_new_token_is_shown_once_and_listed_without_secret(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = await client.post(
        "/api/v1/tokens", json={"role": "operator", "name": "night shift"}, headers=admin
    )
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {
        "token",
        "id",
        "role",
        "town",
        "name",
        "kind",
        "created_at",
        "expires_at",
    }
    assert body["role"] == "operator"
    assert body["town"] is None
    listed = await client.get("/api/v1/tokens", headers=admin)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == body["id"]
    assert "token" not in item
    assert body["token"] not in listed.text
    assert (await client.get(ELDERS, headers=bearer(body["token"]))).status_code == 200


async def test_revoked_token_answers_401(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    token = await make_token("viewer")
    listed = (await client.get("/api/v1/tokens", headers=admin)).json()["items"]
    token_id = listed[0]["id"]
    assert (await client.delete(f"/api/v1/tokens/{token_id}", headers=admin)).status_code == 204
    response = await client.get(ELDERS, headers=bearer(token))
    assert response.status_code == 401
    assert (await client.delete("/api/v1/tokens/999999", headers=admin)).status_code == 404


async def test_only_admin_manages_tokens(client: httpx.AsyncClient, make_token: TokenMaker) -> None:
    operator = bearer(await make_token("operator"))
    assert (await client.get("/api/v1/tokens", headers=operator)).status_code == 403
    made = await client.post(
        "/api/v1/tokens", json={"role": "admin", "name": "x"}, headers=operator
    )
    assert made.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "town_staff", "name": "x"}, "town"),
        ({"role": "viewer", "town": "赤坎鎮", "name": "x"}, "town"),
        ({"role": "root", "name": "x"}, "role"),
    ],
    ids=["town-staff-without-town", "viewer-with-town", "unknown-role"],
)
async def test_town_staff_token_needs_a_town_others_may_not_have_one_and_roles_are_known(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, str], field: str
) -> None:
    response = await client.post("/api/v1/tokens", json=body, headers=admin)
    assert_refused_at(response, "body", field)


async def test_viewer_reads_but_may_not_write(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    viewer = bearer(await make_token("viewer"))
    assert (await client.get(ELDERS, headers=viewer)).status_code == 200
    assert (await client.get("/api/v1/devices", headers=viewer)).status_code == 200
    assert (await client.post(ELDERS, json=elder_body("KP-1"), headers=viewer)).status_code == 403
    device = {"id": "d1", "type": "motion_sensor"}
    assert (await client.post("/api/v1/devices", json=device, headers=viewer)).status_code == 403


async def test_operator_reads_elders_and_fleet_but_changes_neither(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    assert (await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)).status_code == 201
    operator = bearer(await make_token("operator"))
    got = await client.get(f"{ELDERS}/KP-1", headers=operator)
    assert got.status_code == 200
    assert got.json()["phone"] == "13812345678"  # on call needs the real number
    patched = await client.patch(f"{ELDERS}/KP-1", json={"village": "北村"}, headers=operator)
    assert patched.status_code == 403
    device = {"id": "d1", "type": "motion_sensor"}
    assert (await client.post("/api/v1/devices", json=device, headers=operator)).status_code == 403
    assert (await client.get("/api/v1/dead-letters", headers=operator)).status_code == 200


async def test_town_staff_may_not_touch_the_fleet(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    assert (await client.get("/api/v1/devices", headers=staff)).status_code == 403
    assert (await client.get("/api/v1/dead-letters", headers=staff)).status_code == 403
