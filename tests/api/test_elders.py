"""Elders' files: the contract's fields, validation, masking, and town isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

ELDERS = "/api/v1/elders"
CONTRACT_FIELDS = (
    {"id", "name", "gender", "birth_date", "town", "village", "address", "phone"}
    | {"living_arrangement", "incapacitated", "dementia", "disability_level", "low_income"}
    | {"family_planning_special", "couple_with_dependent", "cares_for_dependent_child"}
    | {"category_override", "visit_consent", "inactivity_alert_after_minutes"}
    | {"category", "category_reason"}
)


async def test_created_file_reads_back_with_every_contract_field_and_a_category(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(ELDERS, json=elder_body("KP-000123"), headers=admin)
    assert created.status_code == 201, created.text
    got = await client.get(f"{ELDERS}/KP-000123", headers=admin)
    assert got.status_code == 200
    body = got.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["name"] == "王小明"
    assert body["phone"] == "13812345678"
    assert body["visit_consent"] is True
    assert body["category"] == "A"  # 80+ and living alone
    assert body["category_reason"]


async def test_category_override_wins_and_patch_changes_only_fields_sent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    patched = await client.patch(
        f"{ELDERS}/KP-1", json={"category_override": "C", "phone": None}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["category"] == "C"
    assert body["phone"] is None
    assert body["village"] == "南村"
    cleared = await client.patch(f"{ELDERS}/KP-1", json={"category_override": None}, headers=admin)
    assert cleared.json()["category"] == "A"


async def test_duplicate_id_answers_409(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)).status_code == 201
    again = await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gender": "unknown"}, "gender"),
        ({"living_arrangement": "commune"}, "living_arrangement"),
        ({"disability_level": "total"}, "disability_level"),
        ({"category_override": "D"}, "category_override"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "1941-13-40"}, "birth_date"),
        ({"id": "KP 1/2"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"incapacitated": "maybe"}, "incapacitated"),
        ({"inactivity_alert_after_minutes": 0}, "inactivity_alert_after_minutes"),
        ({"surname": "王"}, "surname"),
    ],
)
async def test_bad_field_answers_422_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = await client.post(ELDERS, json=elder_body("KP-1", **change), headers=admin)
    assert response.status_code == 422
    assert ["body", field] in [error["loc"] for error in response.json()["detail"]]


async def test_missing_required_field_answers_422_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = elder_body("KP-1")
    del body["town"]
    response = await client.post(ELDERS, json=body, headers=admin)
    assert_refused_at(response, "body", "town")


@pytest.mark.parametrize(
    "body", [b'{"id": "KP-1", "name": ', b'\xff\xfe{"id": 1}'], ids=["truncated", "not-utf-8"]
)
async def test_malformed_json_answers_422_naming_the_body(
    client: httpx.AsyncClient, admin: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        ELDERS, content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"


async def test_other_http_errors_keep_their_status(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await client.get(f"{ELDERS}/KP-NONE", headers=admin)).status_code == 404
    assert (await client.put(ELDERS, headers=admin)).status_code == 405


async def test_patch_may_not_null_a_required_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    response = await client.patch(f"{ELDERS}/KP-1", json={"name": None}, headers=admin)
    assert_refused_at(response, "body", "name")


async def test_unknown_id_answers_404_and_bad_id_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await client.get(f"{ELDERS}/KP-404", headers=admin)).status_code == 404
    assert (
        await client.patch(f"{ELDERS}/KP-404", json={"village": "x"}, headers=admin)
    ).status_code == 404
    bad = await client.get(f"{ELDERS}/{'x' * 65}", headers=admin)
    assert_refused_at(bad, "path", "elder_id")


async def test_list_masks_identity_and_viewer_sees_single_file_masked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    (item,) = (await client.get(ELDERS, headers=admin)).json()["items"]
    assert item["name"] == "王*明"
    assert item["phone"] == "138****5678"
    assert item["address"] == "赤坎鎮南村…"  # at most half, at most six characters
    assert item["masked"] is True
    viewer = bearer(await make_token("viewer"))
    single = (await client.get(f"{ELDERS}/KP-1", headers=viewer)).json()
    assert single["name"] == "王*明"
    assert single["masked"] is True


async def test_town_staff_sees_and_changes_only_their_own_town(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    for elder_id, town in (("KP-1", "赤坎鎮"), ("KP-2", "蒼城鎮"), ("KP-3", "赤坎鎮")):
        await client.post(ELDERS, json=elder_body(elder_id, town=town), headers=admin)
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))

    listed = (await client.get(ELDERS, headers=staff)).json()["items"]
    assert [item["id"] for item in listed] == ["KP-1", "KP-3"]
    asked_other = await client.get(ELDERS, params={"town": "蒼城鎮"}, headers=staff)
    assert asked_other.status_code == 403  # never an empty page that looks like "no rows"
    searched = (await client.get(ELDERS, params={"q": "KP-2"}, headers=staff)).json()
    assert searched["items"] == []

    assert (await client.get(f"{ELDERS}/KP-2", headers=staff)).status_code == 403
    assert (
        await client.patch(f"{ELDERS}/KP-2", json={"village": "x"}, headers=staff)
    ).status_code == 403
    moved = await client.patch(f"{ELDERS}/KP-1", json={"town": "蒼城鎮"}, headers=staff)
    assert moved.status_code == 403
    other = await client.post(ELDERS, json=elder_body("KP-9", town="蒼城鎮"), headers=staff)
    assert other.status_code == 403

    own = await client.get(f"{ELDERS}/KP-1", headers=staff)
    assert own.status_code == 200
    assert own.json()["name"] == "王小明"
    created = await client.post(ELDERS, json=elder_body("KP-4"), headers=staff)
    assert created.status_code == 201


async def test_list_filters_by_town_category_and_search_across_pages(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for n in range(12):
        arrangement = "alone" if n % 3 else "with_family"  # with family at 80+: not served
        await client.post(
            ELDERS,
            json=elder_body(f"KP-{n:03}", living_arrangement=arrangement, name=f"李{n}"),
            headers=admin,
        )
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"category": "A", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(ELDERS, params=params, headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        assert all(item["category"] == "A" for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"KP-{n:03}" for n in range(12) if n % 3]
    unclassified = (await client.get(ELDERS, params={"category": "none"}, headers=admin)).json()
    assert [item["id"] for item in unclassified["items"]] == [
        "KP-000",
        "KP-003",
        "KP-006",
        "KP-009",
    ]
    found = (await client.get(ELDERS, params={"q": "李1"}, headers=admin)).json()
    assert [item["id"] for item in found["items"]] == ["KP-001", "KP-010", "KP-011"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"cursor": "Zm9vOmJhcg"}, "cursor"),
        ({"category": "D"}, "category"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"q": "a\u0000"}, "q"),
    ],
)
async def test_bad_list_query_answers_422_naming_the_parameter(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get(ELDERS, params=params, headers=admin)
    assert_refused_at(response, "query", field)
