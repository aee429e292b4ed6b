"""The console's test homes, written through the API (and the device state, events and
alerts as the gateway writes them): for the browser tests and the screenshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from tests.api.conftest import elder_body, execute

CHIKAN: Final = "赤坎鎮"
SHUIKOU: Final = "水口鎮"
CONTACTS: Final = (
    {"name": "陳大文", "phone": "13900001111", "relation": "neighbour"},
    {"name": "王美玲", "phone": "13800002222", "relation": "child"},
)
DEVICES: Final = (
    {"id": "pir-1", "type": "motion_sensor", "elder_id": "KP-1", "room": "bedroom"},
    {"id": "door-1", "type": "door_sensor", "elder_id": "KP-1", "room": "entrance"},
    {"id": "sos-1", "type": "sos_button", "elder_id": "KP-1"},
    {"id": "pir-3", "type": "motion_sensor", "elder_id": "KP-3", "room": "hall"},
)
# Token name → (role, town).
ROLES: Final = {
    "viewer": ("viewer", None),
    "town_staff": ("town_staff", CHIKAN),
    "operator": ("operator", None),
    "shuikou_staff": ("town_staff", SHUIKOU),
}


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(f"/api/v1{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _events(url: str, elder_id: str, device_id: str, kind: str, ago: list[int]) -> None:
    now = datetime.now(UTC)
    for n, minutes in enumerate(ago):
        await execute(
            url,
            "INSERT INTO events (device_id, ts, seq, kind, value, battery, flags, elder_id,"
            " received_at) VALUES (%s, %s, %s, %s, 1, 80, '{}', %s, now())",
            (device_id, now - timedelta(minutes=minutes), n, kind, elder_id),
        )


async def seed_homes(api_url: str, admin_token: str, database_url: str) -> dict[str, str]:
    """KP-1 of 赤坎鎮 with two contacts, a bedroom sensor, an offline door sensor, a button
    low on battery, a day of activity (motion 15, 200 and 600 minutes ago, the door 30 and
    610) and an open inactivity alert; KP-2 of 赤坎鎮, incapacitated, with no contact; KP-3
    of 水口鎮 with an open SOS. Answers a token of each role of ``ROLES`` (and ``admin``)."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers) as client:
        await _post(client, "/elders", elder_body("KP-1", name="李秀英"))
        await _post(client, "/elders", elder_body("KP-2", name="張國強", incapacitated=True))
        await _post(client, "/elders", elder_body("KP-3", name="黃志明", town=SHUIKOU))
        for contact in CONTACTS:
            await _post(client, "/elders/KP-1/contacts", contact)
        for device in DEVICES:
            await _post(client, "/devices", device)
        tokens = {"admin": admin_token}
        for name, (role, town) in ROLES.items():
            body = {"role": role, "name": f"{name} 測試", **({"town": town} if town else {})}
            tokens[name] = str((await _post(client, "/tokens", body))["token"])
    seen = "now() - interval '2 minutes'"
    for query in (
        f"UPDATE devices SET online = true, last_seen = {seen}, battery = 88",
        "UPDATE devices SET online = false WHERE id = 'door-1'",
        "UPDATE devices SET battery = 8 WHERE id = 'sos-1'",
        "INSERT INTO alerts (type, severity, subject, elder_id, opened_at, last_seen_at, summary)"
        " VALUES ('inactivity', 'high', 'elder:KP-1', 'KP-1', now() - interval '40 minutes',"
        " now(), 'no movement for 3 h'), ('sos', 'critical', 'elder:KP-3', 'KP-3',"
        " now() - interval '3 minutes', now(), 'SOS button pressed')",
    ):
        await execute(database_url, query)
    await _events(database_url, "KP-1", "pir-1", "motion", [15, 200, 600])
    await _events(database_url, "KP-1", "door-1", "door", [30, 610])
    return tokens
