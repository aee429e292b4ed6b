"""The elder's audit log: every entry about the elder whatever it read, refused attempts
recorded in a transaction of their own, and nothing recorded twice or lost when the
refused request's own transaction rolls back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from tests.api.conftest import TokenMaker, bearer, elder_body

TZ = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
ELDERS = f"{API}/elders"


@pytest.fixture
async def on_file(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)).status_code == 201
    assert (await client.post(ELDERS, json=elder_body("KP-2"), headers=admin)).status_code == 201
    device = {"id": "door-1", "type": "door_sensor", "elder_id": "KP-1"}
    assert (await client.post(f"{API}/devices", json=device, headers=admin)).status_code == 201


async def _audit(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"{ELDERS}/KP-1/audit", headers=admin)
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()
    return entries


@pytest.mark.usefixtures("on_file")
async def test_the_audit_shows_every_read_about_the_elder_whatever_it_read(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    contact = {"name": "王大明", "phone": "13700002222", "relation": "child"}
    await client.post(f"{ELDERS}/KP-1/contacts", json=contact, headers=staff)
    visit = {
        "elder_id": "KP-1",
        "method": "phone",
        "visited_at": (datetime.now(TZ) - timedelta(minutes=1)).isoformat(),
        "visitor": "李社工",
    }
    assert (await client.post(f"{API}/visits", json=visit, headers=staff)).status_code == 201
    for path in ("", "/contacts", "/visits", "/compliance", "/history"):
        assert (await client.get(f"{ELDERS}/KP-1{path}", headers=staff)).status_code == 200
    assert (await client.get(f"{API}/devices/door-1/events", headers=staff)).status_code == 200
    assert (await client.get(ELDERS, headers=staff)).status_code == 200
    await client.get(f"{ELDERS}/KP-2/contacts", headers=staff)  # another elder: not shown
    shown = {(e["action"], e["entity"]) for e in await _audit(client, admin)}
    assert shown >= {
        ("create", "elder"),
        ("update", "elder.contacts"),
        ("update", "elder.visits"),
        ("read", "elder"),
        ("read", "elder.contacts"),
        ("read", "elder.visits"),
        ("read", "elder.compliance"),
        ("read", "elder.history"),
        ("read", "elder.events"),
        ("list", "elder"),
    }
    assert all(e["entity_id"] in ("KP-1", None) for e in await _audit(client, admin))


@pytest.mark.usefixtures("on_file")
async def test_a_refused_attempt_is_recorded_with_who_and_what_was_asked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    elsewhere = await make_token("town_staff", town="水口鎮")
    viewer = await make_token("viewer")
    operator = await make_token("operator")
    asked = [
        (elsewhere, "GET", "/elders/KP-1/contacts"),
        (elsewhere, "GET", "/elders/KP-1/compliance"),
        (viewer, "GET", "/elders/KP-1/history"),
        (operator, "GET", "/elders/KP-1/audit"),
        (viewer, "GET", "/devices/door-1/events"),
        (elsewhere, "GET", "/devices/door-1/events"),
    ]
    for token, method, path in asked:
        response = await client.request(method, f"{API}{path}", headers=bearer(token))
        assert response.status_code == 403, path
    refused = [e for e in await _audit(client, admin) if e["action"] == "refused"]
    assert [(e["role"], e["entity"], e["detail"]["asked"]) for e in reversed(refused)] == [
        ("town_staff", "elder.contacts", "GET /api/v1/elders/{elder_id}/contacts"),
        ("town_staff", "elder.compliance", "GET /api/v1/elders/{elder_id}/compliance"),
        ("viewer", "elder.history", "GET /api/v1/elders/{elder_id}/history"),
        ("operator", "elder.audit", "GET /api/v1/elders/{elder_id}/audit"),
        ("viewer", "elder.events", "GET /api/v1/devices/{device_id}/events"),
        ("town_staff", "elder.events", "GET /api/v1/devices/{device_id}/events"),
    ]
    assert all(e["actor"].startswith("token:") for e in refused)
    assert refused[0]["detail"]["device_id"] == "door-1"
    assert refused[-1]["town"] == "赤坎鎮"


@pytest.mark.usefixtures("on_file")
async def test_a_refused_change_is_recorded_and_changes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    elsewhere = bearer(await make_token("town_staff", town="水口鎮"))
    response = await client.patch(f"{ELDERS}/KP-1", json={"village": "北村"}, headers=elsewhere)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "this elder belongs to another town"},
    )
    assert (await client.get(f"{ELDERS}/KP-1", headers=admin)).json()["village"] == "南村"
    entries = await _audit(client, admin)
    refused = [e for e in entries if e["action"] == "refused"]
    assert [(e["entity"], e["entity_id"], e["detail"]["asked"]) for e in refused] == [
        ("elder", "KP-1", "PATCH /api/v1/elders/{elder_id}")
    ]
    assert not any(e["action"] == "update" and e["role"] == "town_staff" for e in entries)


@pytest.mark.usefixtures("on_file")
async def test_a_refused_list_of_another_town_is_recorded_under_that_town(
    client: httpx.AsyncClient, database_url: str, make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", town="水口鎮"))
    response = await client.get(ELDERS, params={"town": "赤坎鎮"}, headers=staff)
    assert response.status_code == 403
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT role, entity, entity_id, detail ->> 'asked' FROM audit_log"
            " WHERE action = 'refused'"
        )
        assert await cur.fetchall() == [("town_staff", "town", "赤坎鎮", "GET /api/v1/elders")]
