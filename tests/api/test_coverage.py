"""``GET /api/v1/alerts/coverage`` on a hand-built county whose holes are known: an elder
without contacts, one whose only contact has a placeholder phone, a town with a six-hour
hole in its roster, a town covered only half the week and without a duty contact. Town
staff see their own town's, viewers see the phones masked, the other roles every town."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from tanfang.settings import Settings
from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

API = "/api/v1/alerts/coverage"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
CHIKAN = "赤坎鎮"
BAIHE = "百合鎮"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The API at ``NOW``: the roster's week is [NOW, NOW + 7 days)."""
    application = create_app(settings, clock=lambda: NOW)
    async with application.router.lifespan_context(application):
        yield application


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: Any) -> None:
    response = await client.post(f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text


def contact(phone: str, relation: str = "child") -> dict[str, Any]:
    return {"name": "王大明", "phone": phone, "relation": relation}


def shift(starts: datetime, ends: datetime, towns: list[str] | None) -> dict[str, Any]:
    return {
        "name": "李值班",
        "phone": "13800138000",
        "towns": towns,
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
    }


@pytest.fixture
async def county(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """赤坎鎮: KP-1 reachable, KP-2 without contacts, KP-3 with only a placeholder phone
    (and KP-1 has a second, placeholder one); duty phone set; on duty all week but
    [3 d, 3 d 6 h). 百合鎮: KP-4 reachable; no duty contact; covered only by the every-town
    shift of the first 3 days."""
    for elder_id, town in (("KP-1", CHIKAN), ("KP-2", CHIKAN), ("KP-3", CHIKAN), ("KP-4", BAIHE)):
        await post(client, "/elders", elder_body(elder_id, town=town), admin)
    await post(client, "/elders/KP-1/contacts", contact("13812345678"), admin)
    await post(client, "/elders/KP-1/contacts", contact("1234567", "relative"), admin)
    await post(client, "/elders/KP-3/contacts", contact("000 0000"), admin)
    await post(client, "/elders/KP-4/contacts", contact("0750-2345678"), admin)
    day3 = NOW + timedelta(days=3)
    await post(client, "/on-call", shift(NOW - timedelta(hours=2), day3, None), admin)
    await post(
        client,
        "/on-call",
        shift(day3 + timedelta(hours=6), NOW + timedelta(days=9), [CHIKAN]),
        admin,
    )
    response = await client.put(
        f"/api/v1/towns/{CHIKAN}",
        json={"duty_name": "鎮值班", "duty_phone": "0750-2600000"},
        headers=admin,
    )
    assert response.status_code == 200, response.text


async def get(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(API, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.mark.usefixtures("county")
async def test_the_coverage_lists_every_hole_of_the_hand_built_county_with_the_hours_uncovered(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    found = await get(client, admin)
    assert found["generated_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert found["horizon_hours"] == 168
    assert found["elders_without_contacts"] == [
        {"elder_id": "KP-2", "town": CHIKAN, "contacts": 0},
        {"elder_id": "KP-3", "town": CHIKAN, "contacts": 1},
    ]
    assert [(c["elder_id"], c["phone"]) for c in found["contacts_without_phone"]] == [
        ("KP-1", "1234567"),
        ("KP-3", "000 0000"),
    ]
    day3 = NOW + timedelta(days=3)
    towns = {t["town"]: t for t in found["towns_uncovered"]}
    assert set(towns) == {CHIKAN, BAIHE}  # towns without elders are not listed
    assert towns[CHIKAN]["uncovered"] == [
        {"from": _z(day3), "to": _z(day3 + timedelta(hours=6)), "hours": 6.0}
    ]
    assert (towns[CHIKAN]["hours"], towns[CHIKAN]["elders"]) == (6.0, 3)
    assert towns[BAIHE]["uncovered"] == [
        {"from": _z(day3), "to": _z(NOW + timedelta(days=7)), "hours": 96.0}
    ]
    assert found["towns_without_duty_contact"] == [
        {"town": BAIHE, "elders": 1, "reason": "no_duty_phone"}
    ]
    assert found["counts"] == {
        "elders_without_contacts": 2,
        "contacts_without_phone": 2,
        "towns_uncovered": 2,
        "towns_without_duty_contact": 1,
    }
    assert found["truncated"] is False


def _z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.mark.usefixtures("county")
async def test_a_filled_roster_and_a_duty_phone_close_the_towns_holes(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await post(client, "/on-call", shift(NOW, NOW + timedelta(days=8), [BAIHE, CHIKAN]), admin)
    response = await client.put(
        f"/api/v1/towns/{BAIHE}", json={"duty_phone": "0750-2700000"}, headers=admin
    )
    assert response.status_code == 200, response.text
    found = await get(client, admin)
    assert found["towns_uncovered"] == []
    assert found["towns_without_duty_contact"] == []


@pytest.mark.usefixtures("county")
async def test_the_lists_are_cut_at_the_limit_and_the_counts_stay_whole(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    found = await get(client, admin, limit=1)
    assert [e["elder_id"] for e in found["elders_without_contacts"]] == ["KP-2"]
    assert found["counts"]["elders_without_contacts"] == 2
    assert found["truncated"] is True


@pytest.mark.usefixtures("county")
async def test_town_staff_see_their_own_towns_holes_and_another_town_is_refused(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", BAIHE))
    found = await get(client, staff)
    assert found["town"] == BAIHE
    assert found["elders_without_contacts"] == []
    assert [t["town"] for t in found["towns_uncovered"]] == [BAIHE]
    assert [t["town"] for t in found["towns_without_duty_contact"]] == [BAIHE]
    response = await client.get(API, params={"town": CHIKAN}, headers=staff)
    assert response.status_code == 403


@pytest.mark.usefixtures("county")
async def test_operators_filter_by_town_alias_and_viewers_see_the_phones_masked(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    operator = bearer(await make_token("operator"))
    found = await get(client, operator, town="赤坎")
    assert found["town"] == CHIKAN
    assert [t["town"] for t in found["towns_uncovered"]] == [CHIKAN]
    viewer = bearer(await make_token("viewer"))
    masked = await get(client, viewer)
    assert [c["phone"] for c in masked["contacts_without_phone"]] == ["*****67", "******00"]
    assert [e["elder_id"] for e in masked["elders_without_contacts"]] == ["KP-2", "KP-3"]


async def test_a_bad_limit_or_an_unknown_town_is_refused_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert_refused_at(await client.get(API, params={"limit": 0}, headers=admin), "query", "limit")
    assert_refused_at(
        await client.get(API, params={"town": "火星鎮"}, headers=admin), "query", "town"
    )


async def test_coverage_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(API)).status_code == 401
