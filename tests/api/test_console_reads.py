"""The reads the console adds: ``/fleet`` (devices with their town and why they need
attention) and ``/elders/{id}/activity`` (the last hours as rooms × slots)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pytest

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body, execute

API: Final = "/api/v1"
CHIKAN: Final = "赤坎鎮"
SHUIKOU: Final = "水口鎮"


@pytest.fixture
async def homes(client: httpx.AsyncClient, admin: dict[str, str], database_url: str) -> None:
    """KP-1 of 赤坎鎮 with a healthy motion sensor, an offline door sensor and a button low
    on battery; KP-2 of 水口鎮 with a sensor whose gateway alert says it went silent; a
    device in stock, never heard from."""
    for elder, town in (("KP-1", CHIKAN), ("KP-2", SHUIKOU)):
        made = await client.post(f"{API}/elders", json=elder_body(elder, town=town), headers=admin)
        assert made.status_code == 201, made.text
    devices: list[dict[str, Any]] = [
        {"id": "m-1", "type": "motion_sensor", "elder_id": "KP-1", "room": "bedroom"},
        {"id": "d-1", "type": "door_sensor", "elder_id": "KP-1", "room": "entrance"},
        {"id": "s-1", "type": "sos_button", "elder_id": "KP-1"},
        {"id": "m-2", "type": "motion_sensor", "elder_id": "KP-2", "room": "kitchen"},
        {"id": "stock", "type": "motion_sensor"},
    ]
    for device in devices:
        assert (await client.post(f"{API}/devices", json=device, headers=admin)).status_code == 201
    seen = "now() - interval '1 minute'"
    for query in (
        f"UPDATE devices SET online = true, last_seen = {seen}, battery = 90"
        " WHERE id IN ('m-1', 'm-2')",
        f"UPDATE devices SET online = false, last_seen = {seen} WHERE id = 'd-1'",
        f"UPDATE devices SET online = true, last_seen = {seen}, battery = 9 WHERE id = 's-1'",
        "INSERT INTO alerts (type, severity, subject, elder_id, device_id, opened_at,"
        " last_seen_at, summary) VALUES ('device_offline', 'low', 'device:m-2', 'KP-2',"
        " 'm-2', now(), now(), 'silent')",
    ):
        await execute(database_url, query)


async def _fleet(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, list[str]]:
    response = await client.get(f"{API}/fleet", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {d["id"]: d["attention"] for d in response.json()["items"]}


@pytest.mark.usefixtures("homes")
async def test_the_fleet_names_why_each_device_needs_attention(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert await _fleet(client, admin, attention="true") == {
        "d-1": ["offline"],
        "m-2": ["offline"],
        "s-1": ["low_battery"],
        "stock": ["never_heard"],
    }
    assert await _fleet(client, admin, elder_id="KP-1") == {
        "d-1": ["offline"],
        "m-1": [],
        "s-1": ["low_battery"],
    }
    items = (await client.get(f"{API}/fleet", params={"town": "水口"}, headers=admin)).json()
    assert [(d["id"], d["town"], d["room"]) for d in items["items"]] == [
        ("m-2", SHUIKOU, "kitchen")
    ]


@pytest.mark.usefixtures("homes")
async def test_town_staff_see_their_own_towns_fleet_and_are_refused_another(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", town=CHIKAN))
    assert set(await _fleet(client, staff)) == {"m-1", "d-1", "s-1"}
    other = await client.get(f"{API}/fleet", params={"town": SHUIKOU}, headers=staff)
    assert other.status_code == 403


@pytest.mark.usefixtures("homes")
async def test_a_viewer_sees_the_fleet_without_the_times_a_device_was_heard(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    viewer = bearer(await make_token("viewer"))
    items = (await client.get(f"{API}/fleet", headers=viewer)).json()["items"]
    assert len(items) == 5
    assert {d["last_seen"] for d in items} == {None}
    assert {d["status_changed_at"] for d in items} == {None}


async def test_the_fleet_refuses_an_unknown_town_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get(f"{API}/fleet", params={"town": "無此鎮"}, headers=admin)
    assert_refused_at(response, "query", "town")


async def _event(database_url: str, device: str, elder: str, ago: timedelta, kind: str) -> None:
    await execute(
        database_url,
        "INSERT INTO events (device_id, ts, seq, kind, value, flags, elder_id, received_at)"
        " VALUES (%s, %s, %s, %s, %s, '{}', %s, now())",
        (device, datetime.now(UTC) - ago, int(ago.total_seconds()), kind, 1, elder),
    )


@pytest.mark.usefixtures("homes")
async def test_activity_counts_the_rooms_events_per_slot_of_the_last_hours(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    for minutes in (10, 12, 14):
        await _event(database_url, "m-1", "KP-1", timedelta(minutes=minutes), "motion")
    await _event(database_url, "d-1", "KP-1", timedelta(hours=5, minutes=10), "door")
    await _event(database_url, "m-1", "KP-1", timedelta(minutes=20), "heartbeat")
    await _event(database_url, "m-1", "KP-1", timedelta(hours=30), "motion")
    await _event(database_url, "m-2", "KP-2", timedelta(minutes=10), "motion")

    response = await client.get(f"{API}/elders/KP-1/activity", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slot_minutes"] == 30
    rooms = {row["room"]: row["counts"] for row in body["rooms"]}
    assert list(rooms) == ["bedroom", "entrance"]
    assert all(len(counts) == 48 for counts in rooms.values())
    assert sum(rooms["bedroom"]) == 3
    assert rooms["bedroom"][-1] + rooms["bedroom"][-2] == 3
    assert sum(rooms["entrance"]) == 1
    assert rooms["entrance"].index(1) in (37, 38)


@pytest.mark.usefixtures("homes")
async def test_activity_is_not_a_viewers_and_not_another_towns(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    viewer = bearer(await make_token("viewer"))
    assert (await client.get(f"{API}/elders/KP-1/activity", headers=viewer)).status_code == 403
    staff = bearer(await make_token("town_staff", town=SHUIKOU))
    assert (await client.get(f"{API}/elders/KP-1/activity", headers=staff)).status_code == 403
    assert (await client.get(f"{API}/elders/KP-2/activity", headers=staff)).status_code == 200


@pytest.mark.usefixtures("homes")
async def test_activity_slots_must_divide_the_hours(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    url = f"{API}/elders/KP-1/activity"
    refused = await client.get(url, params={"hours": 24, "slot_minutes": 7}, headers=admin)
    assert_refused_at(refused, "query", "slot_minutes")
    assert (await client.get(f"{API}/elders/KP-404/activity", headers=admin)).status_code == 404
