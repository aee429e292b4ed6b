"""The fleet: CRUD, cursor pagination, and each device's events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pytest

from tests.api.conftest import assert_refused_at, elder_body, execute

DEVICES = "/api/v1/devices"


@pytest.fixture
async def elder(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    response = await client.post("/api/v1/elders", json=elder_body("KP-1"), headers=admin)
    assert response.status_code == 201
    return "KP-1"


async def test_device_crud_round_trip(
    client: httpx.AsyncClient, admin: dict[str, str], elder: str
) -> None:
    body = {"id": "pat-7f3a", "type": "sos_button", "elder_id": elder, "room": "bedroom"}
    created = await client.post(DEVICES, json=body, headers=admin)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["heartbeat_interval_s"] == 300
    assert {"online", "last_seen", "battery", "status"} <= set(device)
    assert device["online"] is None  # never heard from: unknown, not offline

    patched = await client.patch(
        f"{DEVICES}/pat-7f3a", json={"room": "living", "heartbeat_interval_s": 60}, headers=admin
    )
    assert patched.status_code == 200
    assert (patched.json()["room"], patched.json()["heartbeat_interval_s"]) == ("living", 60)
    assert patched.json()["elder_id"] == elder

    unassigned = await client.patch(f"{DEVICES}/pat-7f3a", json={"elder_id": None}, headers=admin)
    assert unassigned.json()["elder_id"] is None

    assert (await client.delete(f"{DEVICES}/pat-7f3a", headers=admin)).status_code == 204
    assert (await client.get(f"{DEVICES}/pat-7f3a", headers=admin)).status_code == 404
    assert (await client.delete(f"{DEVICES}/pat-7f3a", headers=admin)).status_code == 404
    missing = await client.patch(f"{DEVICES}/pat-7f3a", json={"room": "x"}, headers=admin)
    assert missing.status_code == 404


async def test_duplicate_device_answers_409(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"id": "m1", "type": "motion_sensor"}
    assert (await client.post(DEVICES, json=body, headers=admin)).status_code == 201
    assert (await client.post(DEVICES, json=body, headers=admin)).status_code == 409


MOTION: Final = {"id": "m1", "type": "motion_sensor"}


@pytest.mark.parametrize(
    ("where", "values", "field"),
    [
        ("body", {"id": "m1", "type": "toaster"}, "type"),
        ("body", {"id": "bad id!", "type": "motion_sensor"}, "id"),
        ("body", {"id": "x" * 65, "type": "motion_sensor"}, "id"),
        ("body", {"type": "motion_sensor"}, "id"),
        ("body", {"id": "m1"}, "type"),
        ("body", {**MOTION, "elder_id": "KP-404"}, "elder_id"),
        ("body", {**MOTION, "heartbeat_interval_s": 0}, "heartbeat_interval_s"),
        ("query", {"type": "toaster"}, "type"),
        ("query", {"online": "perhaps"}, "online"),
        ("query", {"cursor": "%%%"}, "cursor"),
        ("query", {"limit": 100000}, "limit"),
    ],
)
async def test_a_bad_device_or_list_query_answers_422_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], where: str, values: dict[str, Any], field: str
) -> None:
    """A device registered (the body of a POST) or a list asked for (the query of a GET)."""
    if where == "body":
        response = await client.post(DEVICES, json=values, headers=admin)
    else:
        response = await client.get(DEVICES, params=values, headers=admin)
    assert_refused_at(response, where, field)


async def test_moving_a_device_to_an_unknown_elder_answers_422_naming_elder_id(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(DEVICES, json={"id": "m1", "type": "motion_sensor"}, headers=admin)
    response = await client.patch(f"{DEVICES}/m1", json={"elder_id": "KP-404"}, headers=admin)
    assert_refused_at(response, "body", "elder_id")


async def test_list_pages_through_every_device_once_in_id_order(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    ids = [f"dev-{n:02}" for n in range(11)]
    for device_id in reversed(ids):
        await client.post(DEVICES, json={"id": device_id, "type": "door_sensor"}, headers=admin)
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 4}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await client.get(DEVICES, params=params, headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


async def test_list_filters_by_elder_type_and_online(
    client: httpx.AsyncClient, admin: dict[str, str], elder: str, database_url: str
) -> None:
    await client.post(
        DEVICES, json={"id": "a", "type": "sos_button", "elder_id": elder}, headers=admin
    )
    await client.post(DEVICES, json={"id": "b", "type": "door_sensor"}, headers=admin)
    await client.post(DEVICES, json={"id": "c", "type": "door_sensor"}, headers=admin)
    await execute(database_url, "UPDATE devices SET online = true WHERE id = 'b'")
    await execute(database_url, "UPDATE devices SET online = false WHERE id = 'c'")

    async def ids(**params: str) -> list[str]:
        page = (await client.get(DEVICES, params=params, headers=admin)).json()
        return [item["id"] for item in page["items"]]

    assert await ids(elder_id=elder) == ["a"]
    assert await ids(type="door_sensor") == ["b", "c"]
    assert await ids(online="true") == ["b"]
    assert await ids(online="false") == ["a", "c"]


async def _insert_event(
    database_url: str, device_id: str, ts: datetime, seq: int, kind: str, value: float | None
) -> None:
    await execute(
        database_url,
        "INSERT INTO events (device_id, ts, seq, kind, value, battery, flags, extra, received_at)"
        " VALUES (%s, %s, %s, %s, %s, 80, %s, %s, now())",
        (
            device_id,
            ts,
            seq,
            kind,
            value,
            ["clock_skew"] if seq == 0 else [],
            json.dumps({"room": "hall"}) if kind == "door" else None,
        ),
    )


async def test_events_come_newest_first_with_filters_and_outlive_the_device(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    await client.post(DEVICES, json={"id": "m1", "type": "motion_sensor"}, headers=admin)
    start = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    for n in range(6):
        kind = "door" if n % 2 else "motion"
        await _insert_event(database_url, "m1", start + timedelta(minutes=n), n, kind, 1)
    await _insert_event(database_url, "other", start, 1, "motion", 1)
    url = f"{DEVICES}/m1/events"

    events = (await client.get(url, headers=admin)).json()
    assert [event["seq"] for event in events] == [5, 4, 3, 2, 1, 0]
    assert set(events[0]) >= {"ts", "kind", "value", "seq", "battery", "flags", "extra"}
    assert events[-1]["flags"] == ["clock_skew"]
    assert events[0]["extra"] == {"room": "hall"}
    assert events[1]["extra"] == {}

    # 08:01+08:00 is 00:01Z; "to" is exclusive. The plus sign is sent unencoded on purpose.
    window = await client.get(
        url + "?from=2026-11-29T08:01:00+08:00&to=2026-11-29T00:04:00Z", headers=admin
    )
    assert [event["seq"] for event in window.json()] == [3, 2, 1]
    doors = (await client.get(url, params={"kind": "door", "limit": 2}, headers=admin)).json()
    assert [event["seq"] for event in doors] == [5, 3]

    assert (await client.delete(f"{DEVICES}/m1", headers=admin)).status_code == 204
    after = (await client.get(url, headers=admin)).json()
    assert len(after) == 6
    assert (await client.get(f"{DEVICES}/nothing/events", headers=admin)).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30T00:00:00Z"}, "to"),
        ({"from": "2026-11-29T01:00:00Z", "to": "2026-11-29T00:00:00Z"}, "to"),
        ({"kind": "teleport"}, "kind"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_bad_events_query_answers_422_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, Any], field: str
) -> None:
    await client.post(DEVICES, json={"id": "m1", "type": "motion_sensor"}, headers=admin)
    response = await client.get(f"{DEVICES}/m1/events", params=params, headers=admin)
    assert_refused_at(response, "query", field)
