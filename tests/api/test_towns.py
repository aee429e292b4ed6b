"""Towns are a registry (issue 10): an elder's or a token's town is trimmed, normalised and
mapped from an alias to the registered name, so that "赤坎鎮 " or "赤坎镇" lands on 赤坎鎮's
due list; an unknown town is a 422 offering close matches."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from api.auth import hash_token, new_token
from care import town_services
from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body, execute

API = "/api/v1"
CHIKAN = "赤坎鎮"


@pytest.mark.parametrize(
    "sent",
    ["赤坎鎮 ", "赤坎镇", "\u3000赤坎鎮\u3000", "赤 坎 鎮\t", "赤坎"],
    ids=["trailing-space", "simplified", "full-width-spaces", "spaces-inside", "short-form"],
)
async def test_a_town_as_typed_is_filed_under_its_registered_name_and_on_its_due_list(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, sent: str
) -> None:
    created = await client.post(f"{API}/elders", json=elder_body("KP-1", town=sent), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["town"] == CHIKAN
    staff = bearer(await make_token("town_staff", town=CHIKAN))
    due = (await client.get(f"{API}/visits/due", headers=staff)).json()
    assert [(i["elder_id"], i["town"]) for i in due["items"]] == [("KP-1", CHIKAN)]


async def test_a_patch_to_an_alias_moves_the_file_to_the_registered_name(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    moved = await client.patch(f"{API}/elders/KP-1", json={"town": "水口镇 "}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["town"] == "水口鎮"


async def test_a_town_staff_token_for_an_alias_is_made_for_the_registered_name(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"role": "town_staff", "town": " 赤坎镇", "name": "Chikan office"}
    made = await client.post(f"{API}/tokens", json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["town"] == CHIKAN
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    listed = await client.get(f"{API}/elders", headers=bearer(made.json()["token"]))
    assert [e["id"] for e in listed.json()["items"]] == ["KP-1"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/elders", elder_body("KP-2", town="赤崁鎮")),
        ("PATCH", "/elders/KP-1", {"town": "赤崁鎮"}),
        ("POST", "/tokens", {"role": "town_staff", "town": "赤崁鎮", "name": "x"}),
    ],
    ids=["new-file", "moved-file", "token"],
)
async def test_an_unknown_town_is_refused_naming_town_with_close_matches(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str, body: object
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    response = await client.request(method, f"{API}{path}", json=body, headers=admin)
    assert_refused_at(response, "body", "town")
    assert CHIKAN in response.json()["detail"][0]["msg"]


async def test_a_blank_or_far_off_town_is_refused_without_suggestions(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # A blank town is refused by the visible-text rule of every text field, before the
    # registry is asked; a far-off one points to the list of towns.
    for town, says in (("\u3000 ", "visible character"), ("Springfield", "GET /api/v1/towns")):
        response = await client.post(
            f"{API}/elders", json=elder_body("KP-1", town=town), headers=admin
        )
        assert_refused_at(response, "body", "town")
        assert says in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("path", ["/elders", "/visits/due", "/reports/monthly"])
async def test_list_filters_accept_an_alias_and_refuse_an_unknown_town(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, path: str
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    await client.post(f"{API}/elders", json=elder_body("KP-2", town="水口鎮"), headers=admin)
    got = await client.get(f"{API}{path}", params={"town": "赤坎镇 "}, headers=admin)
    assert got.status_code == 200, got.text
    body = got.json()
    towns = (
        {r["town"] for r in body["towns"]}
        if "towns" in body
        else {i["town"] for i in body["items"]}
    )
    assert towns == {CHIKAN}
    staff = bearer(await make_token("town_staff", town=CHIKAN))
    own = await client.get(f"{API}{path}", params={"town": "赤坎"}, headers=staff)
    assert own.status_code == 200
    unknown = await client.get(f"{API}{path}", params={"town": "赤崁鎮"}, headers=admin)
    assert_refused_at(unknown, "query", "town")
    assert CHIKAN in unknown.json()["detail"][0]["msg"]


async def test_every_role_lists_the_seeded_towns_with_their_aliases(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    for role in ("operator", "viewer", "town_staff"):
        token = await make_token(role, town=CHIKAN if role == "town_staff" else None)
        listed = await client.get(f"{API}/towns", headers=bearer(token))
        assert listed.status_code == 200, role
        towns = {t["name"]: t for t in listed.json()["items"]}
        assert len(towns) == 16
        assert {"赤坎镇", "赤坎"} <= set(towns[CHIKAN]["aliases"])
        assert "翠山湖新區" in towns["翠山湖"]["aliases"]


@pytest.mark.parametrize("role", ["operator", "viewer", "town_staff"])
async def test_only_admins_register_or_change_towns(
    client: httpx.AsyncClient, make_token: TokenMaker, role: str
) -> None:
    token = bearer(await make_token(role, town=CHIKAN if role == "town_staff" else None))
    created = await client.post(f"{API}/towns", json={"name": "新鎮"}, headers=token)
    assert created.status_code == 403
    changed = await client.put(f"{API}/towns/{CHIKAN}", json={"aliases": []}, headers=token)
    assert changed.status_code == 403
    assert (await client.get(f"{API}/towns/unmapped", headers=token)).status_code == 403


async def test_a_registered_town_and_its_aliases_name_elders(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {
        "name": " 新試點鎮",
        "aliases": ["新试点镇", "試點", "試點"],
        "duty_phone": "0750-1234567",
    }
    created = await client.post(f"{API}/towns", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "新試點鎮",
        "aliases": sorted(["新试点镇", "試點"]),
        "duty_name": None,
        "duty_phone": "0750-1234567",
    }
    filed = await client.post(f"{API}/elders", json=elder_body("KP-1", town="試點"), headers=admin)
    assert filed.json()["town"] == "新試點鎮"


@pytest.mark.parametrize(
    "body",
    [{"name": "赤坎鎮"}, {"name": "赤坎镇"}, {"name": "新鎮", "aliases": ["赤坎"]}],
    ids=["same-name", "name-is-an-alias", "alias-is-taken"],
)
async def test_a_name_or_alias_that_names_a_town_already_is_409(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object]
) -> None:
    response = await client.post(f"{API}/towns", json=body, headers=admin)
    assert response.status_code == 409, response.text
    names = {t["name"] for t in (await client.get(f"{API}/towns", headers=admin)).json()["items"]}
    assert "新鎮" not in names


async def test_a_town_name_of_white_space_only_is_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(f"{API}/towns", json={"name": "\u3000"}, headers=admin)
    assert_refused_at(response, "body", "name")


async def test_put_sets_the_duty_contact_and_replaces_the_aliases(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    changes = {"aliases": ["赤坎镇", "赤坎墟"], "duty_name": "周主任", "duty_phone": "0750-2345678"}
    put = await client.put(f"{API}/towns/赤坎", json=changes, headers=admin)  # by an alias
    assert put.status_code == 200, put.text
    assert put.json()["aliases"] == sorted(["赤坎镇", "赤坎墟"])
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        duty = await town_services.duty_contact(conn, "赤坎墟 ")
    assert duty is not None
    assert (duty.town, duty.name, duty.phone) == (CHIKAN, "周主任", "0750-2345678")
    dropped = await client.post(
        f"{API}/elders", json=elder_body("KP-1", town="赤坎"), headers=admin
    )
    assert_refused_at(dropped, "body", "town")
    cleared = await client.put(f"{API}/towns/{CHIKAN}", json={"duty_phone": None}, headers=admin)
    assert cleared.json()["aliases"] == sorted(["赤坎镇", "赤坎墟"])
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        assert await town_services.duty_contact(conn, CHIKAN) is None


async def test_put_of_an_unknown_town_is_404_and_a_taken_alias_409(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    missing = await client.put(f"{API}/towns/Springfield", json={"aliases": []}, headers=admin)
    assert missing.status_code == 404
    taken = await client.put(f"{API}/towns/{CHIKAN}", json={"aliases": ["水口"]}, headers=admin)
    assert taken.status_code == 409
    kept = (await client.get(f"{API}/towns", headers=admin)).json()["items"]
    assert "赤坎" in next(t for t in kept if t["name"] == CHIKAN)["aliases"]


async def test_viewers_see_the_duty_contact_masked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    duty = {"duty_name": "周主任", "duty_phone": "13812345678"}
    await client.put(f"{API}/towns/{CHIKAN}", json=duty, headers=admin)
    viewer = bearer(await make_token("viewer"))
    towns = (await client.get(f"{API}/towns", headers=viewer)).json()["items"]
    shown = next(t for t in towns if t["name"] == CHIKAN)
    assert (shown["duty_name"], shown["duty_phone"]) == ("周*任", "138****5678")


async def test_an_elder_of_an_unregistered_town_is_listed_until_assigned(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    # Filed before the registry, with a value no normalisation or alias maps.
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    await execute(database_url, "UPDATE elders SET town = 'Chikan' WHERE id = 'KP-1'")
    listed = await client.get(f"{API}/towns/unmapped", headers=admin)
    assert listed.json()["elders"] == [{"id": "KP-1", "town": "Chikan"}]
    still = await client.get(f"{API}/elders/KP-1", headers=admin)
    assert still.json()["town"] == "Chikan"
    assigned = await client.patch(f"{API}/elders/KP-1", json={"town": "赤坎镇"}, headers=admin)
    assert assigned.json()["town"] == CHIKAN
    assert (await client.get(f"{API}/towns/unmapped", headers=admin)).json()["elders"] == []


async def test_a_staff_token_of_an_unregistered_town_keeps_its_elders_and_is_listed(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    # Both written before the registry, with a town no normalisation or alias maps.
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    await execute(database_url, "UPDATE elders SET town = 'Chikan' WHERE id = 'KP-1'")
    secret = new_token()
    await execute(
        database_url,
        "INSERT INTO api_tokens (token_hash, role, town, name)"
        " VALUES (%s, 'town_staff', 'Chikan', 'old')",
        (hash_token(secret),),
    )
    staff = bearer(secret)
    listed = await client.get(f"{API}/elders", headers=staff)
    assert [e["id"] for e in listed.json()["items"]] == ["KP-1"]
    due = await client.get(f"{API}/visits/due", headers=staff)
    assert [i["elder_id"] for i in due.json()["items"]] == ["KP-1"]
    unmapped = (await client.get(f"{API}/towns/unmapped", headers=admin)).json()
    assert [(t["town"], t["name"]) for t in unmapped["tokens"]] == [("Chikan", "old")]
    refused = await client.post(
        f"{API}/elders", json=elder_body("KP-2", town="Chikan"), headers=staff
    )
    assert_refused_at(refused, "body", "town")
