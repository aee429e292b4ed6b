"""``GET /tokens/self`` (what the console shows and allows) and single-use sign-in codes:
made by an admin, spent once within their time for a new person token, never a token in
a URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.routes.sign_in import CONSOLE_SIGN_IN_PATH
from tests.api.conftest import TokenMaker, assert_refused_at, bearer, execute

API = "/api/v1"


async def test_a_token_learns_its_own_role_town_and_name(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    answer = await client.get(f"{API}/tokens/self", headers=admin)
    assert answer.status_code == 200
    assert answer.json() == {
        "role": "admin", "town": None, "name": "admin", "kind": "service", "expires_at": None
    }  # fmt: skip
    staff = await make_token("town_staff", town="赤坎", name="赤坎 小陳")
    mine = (await client.get(f"{API}/tokens/self", headers=bearer(staff))).json()
    assert (mine["role"], mine["town"], mine["name"], mine["kind"]) == (
        "town_staff", "赤坎鎮", "赤坎 小陳", "person"
    )  # fmt: skip
    assert mine["expires_at"] is not None


@pytest.mark.parametrize("token", [None, "tf_not-a-token", "wrong"], ids=["none", "unknown", "bad"])
async def test_tokens_self_refuses_a_missing_or_unknown_token(
    client: httpx.AsyncClient, token: str | None
) -> None:
    headers = {} if token is None else bearer(token)
    assert (await client.get(f"{API}/tokens/self", headers=headers)).status_code == 401


async def code_for(client: httpx.AsyncClient, admin: dict[str, str], **body: object) -> str:
    answer = await client.post(
        f"{API}/tokens/sign-in-codes",
        json={"role": "operator", "name": "夜班", **body},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["path"] == CONSOLE_SIGN_IN_PATH + made["code"]
    code: str = made["code"]
    return code


async def test_a_code_is_spent_once_for_a_new_person_token_of_its_role(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    code = await code_for(client, admin, role="town_staff", town="赤坎鎮", session_hours=2)
    answer = await client.post(f"{API}/sign-in", json={"code": code})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["role"], made["town"], made["name"], made["kind"]) == (
        "town_staff", "赤坎鎮", "夜班", "person"
    )  # fmt: skip
    ends = datetime.fromisoformat(made["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=59) < ends <= timedelta(hours=2)
    me = await client.get(f"{API}/tokens/self", headers=bearer(made["token"]))
    assert me.json()["role"] == "town_staff"
    again = await client.post(f"{API}/sign-in", json={"code": code})
    assert again.status_code == 401


async def test_an_expired_or_unknown_code_signs_nobody_in(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    code = await code_for(client, admin)
    await execute(database_url, "UPDATE sign_in_codes SET expires_at = now() - interval '1 s'")
    assert (await client.post(f"{API}/sign-in", json={"code": code})).status_code == 401
    unknown = {"code": "sc_" + "x" * 43}
    assert (await client.post(f"{API}/sign-in", json=unknown)).status_code == 401
    assert (await client.post(f"{API}/sign-in", json={"code": "x" * 101})).status_code == 422


async def test_only_an_admin_makes_codes_and_a_town_is_for_town_staff_only(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    operator = bearer(await make_token("operator"))
    body = {"role": "operator", "name": "x"}
    refused = await client.post(f"{API}/tokens/sign-in-codes", json=body, headers=operator)
    assert refused.status_code == 403
    no_town = await client.post(
        f"{API}/tokens/sign-in-codes", json={"role": "town_staff", "name": "x"}, headers=admin
    )
    assert_refused_at(no_town, "body", "town")
    too_long = await client.post(
        f"{API}/tokens/sign-in-codes", json={**body, "valid_for_s": 10**6}, headers=admin
    )
    assert_refused_at(too_long, "body", "valid_for_s")
