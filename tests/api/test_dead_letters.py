"""Dead letters: newest first, filtered, payloads cut at 1 KiB and shown as text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_refused_at, execute

DEAD = "/api/v1/dead-letters"


async def _refuse(database_url: str, device_id: str | None, reason: str, payload: bytes) -> None:
    await execute(
        database_url,
        "INSERT INTO dead_letters (topic, device_id, reason, detail, payload, payload_size)"
        " VALUES (%s, %s, %s, 'test', %s, %s)",
        (f"tanfang/v1/dev/{device_id}/events", device_id, reason, payload, len(payload)),
    )


async def test_dead_letters_newest_first_with_payload_cut_at_one_kib(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    big = "探".encode() * 2000  # 6000 bytes; byte 1024 falls inside a character
    await _refuse(database_url, "d1", "too_large", big)
    await _refuse(database_url, "d2", "not_json", b"\xff\xfe{oops")
    items = (await client.get(DEAD, headers=admin)).json()["items"]
    assert [item["device_id"] for item in items] == ["d2", "d1"]
    broken, large = items
    assert broken["payload"] == "\ufffd\ufffd{oops"
    assert broken["payload_truncated"] is False
    assert large["payload_size"] == 6000
    assert large["payload_truncated"] is True
    assert len(large["payload"].encode()) <= 1024
    assert large["payload"] == "探" * 341  # the character cut in half is dropped
    assert {"received_at", "topic", "device_id", "reason", "detail", "payload"} <= set(large)


async def test_dead_letters_filter_by_device_and_reason_and_page(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    for n in range(5):
        await _refuse(database_url, f"d{n % 2}", "unknown_kind" if n < 3 else "bad_value", b"{}")

    async def devices(**params: Any) -> list[str | None]:
        page = (await client.get(DEAD, params=params, headers=admin)).json()
        return [item["device_id"] for item in page["items"]]

    assert await devices(device_id="d0") == ["d0", "d0", "d0"]
    assert await devices(reason="bad_value") == ["d0", "d1"]  # n=4, then n=3
    first = (await client.get(DEAD, params={"limit": 3}, headers=admin)).json()
    second = (
        await client.get(DEAD, params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin)
    ).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(ids) == 5
    assert ids == sorted(ids, reverse=True)
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"reason": "gremlins"}, "reason"), ({"cursor": "YWJj"}, "cursor"), ({"limit": -1}, "limit")],
)
async def test_bad_dead_letter_query_answers_422_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get(DEAD, params=params, headers=admin)
    assert_refused_at(response, "query", field)
