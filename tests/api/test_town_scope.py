"""One rule for town staff tokens on every care route: a list is of the token's own town;
asking for another town is a 403, never an empty page or a silent switch to their town."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TokenMaker, bearer, elder_body

API = "/api/v1"
OTHER = "水口鎮"


@pytest.mark.parametrize(
    "path", ["/elders", "/visits/due", "/reports/monthly", "/reports/alerts", "/watch-periods"]
)
async def test_town_staff_asking_for_another_towns_list_get_403(
    client: httpx.AsyncClient, make_token: TokenMaker, path: str
) -> None:
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    response = await client.get(f"{API}{path}", params={"town": OTHER}, headers=staff)
    assert response.status_code == 403
    own = await client.get(f"{API}{path}", params={"town": "赤坎鎮"}, headers=staff)
    assert own.status_code == 200
    assert (await client.get(f"{API}{path}", headers=staff)).status_code == 200


async def test_town_staff_watch_periods_list_shows_only_their_town(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    body = {"from": "2026-05-01", "to": "2026-05-07", "reason": "颱風", "min_visits_per_week": 2}
    for town in ("赤坎鎮", OTHER):
        created = await client.post(
            f"{API}/watch-periods", json={**body, "town": town}, headers=admin
        )
        assert created.status_code == 201
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    got = await client.get(
        f"{API}/watch-periods", params={"from": "2026-05-01", "to": "2026-05-31"}, headers=staff
    )
    assert [p["town"] for p in got.json()] == ["赤坎鎮"]
    declared = await client.post(f"{API}/watch-periods", json=body, headers=staff)
    assert declared.json()["town"] == "赤坎鎮"  # no town: their own


async def test_a_single_record_of_another_town_is_403(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-9", town=OTHER), headers=admin)
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    for path in (
        "/elders/KP-9",
        "/elders/KP-9/visits",
        "/elders/KP-9/compliance",
        "/elders/KP-9/contacts",
    ):
        assert (await client.get(f"{API}{path}", headers=staff)).status_code == 403, path
