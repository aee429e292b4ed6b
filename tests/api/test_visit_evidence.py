"""An online visit made by check-ins shows the presses behind it in the elder's visit list."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import psycopg

from care import visits_repo
from tests.api.conftest import elder_body

TZ = ZoneInfo("Asia/Shanghai")
API = "/api/v1"


async def test_online_visit_lists_every_press_of_the_day_as_its_evidence(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    for device in ("pat-1", "pat-2"):
        body = {"id": device, "type": "sos_button", "elder_id": "KP-1"}
        assert (await client.post(f"{API}/devices", json=body, headers=admin)).status_code == 201
    first = datetime(2026, 5, 2, 8, 15, tzinfo=TZ)
    later = datetime(2026, 5, 2, 17, 40, tzinfo=TZ)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await visits_repo.record_checkins(
            conn,
            [("pat-2", None, later, date(2026, 5, 2)), ("pat-1", None, first, date(2026, 5, 2))],
        )
    manual = {
        "elder_id": "KP-1",
        "method": "phone",
        "visited_at": "2026-05-03T10:00:00+08:00",
        "visitor": "李社工",
    }
    await client.post(f"{API}/visits", json=manual, headers=admin)

    phone, online = (await client.get(f"{API}/elders/KP-1/visits", headers=admin)).json()["items"]
    assert (online["source"], online["source_device_id"]) == ("checkin", "pat-1")
    assert [
        (e["device_id"], datetime.fromisoformat(e["event_ts"])) for e in online["evidence"]
    ] == [
        ("pat-1", first),
        ("pat-2", later),
    ]
    assert phone["evidence"] is None
