"""Odd input of every kind is a 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest

CASES: list[tuple[str, str, bytes | None]] = [
    ("POST", "/api/v1/elders", b"null"),
    ("POST", "/api/v1/elders", b"[]"),
    ("POST", "/api/v1/elders", b"\xff\xfe"),
    ("POST", "/api/v1/elders", b'{"id": "KP-1", "name": "\\ud800", "town": "t"}'),
    ("POST", "/api/v1/elders", b'{"id": "KP-1", "name": "x", "town": "t", "phone": "x\\u0000"}'),
    ("POST", "/api/v1/elders", b'{"id": "KP-1", "name": "x", "town": "t", "birth_date": 1e400}'),
    ("PATCH", "/api/v1/elders/KP-1", b"{}"),
    ("PATCH", "/api/v1/elders/KP-1", b'{"id": "KP-2"}'),
    ("POST", "/api/v1/devices", b'{"id": "d", "type": "sos_button", "heartbeat_interval_s": 1e30}'),
    ("POST", "/api/v1/devices", b'{"id": "d", "type": "sos_button", "room": "\\u0000"}'),
    ("GET", "/api/v1/devices/d/events?from=1e300", None),
    ("GET", "/api/v1/devices/d/events?from=nan", None),
    ("GET", "/api/v1/devices/d/events?from=0001-01-01T00:00:00%2B01:00", None),
    ("GET", "/api/v1/devices/d/events?limit=99999999999999999999999", None),
    ("GET", "/api/v1/devices?elder_id=%00", None),
    ("GET", "/api/v1/devices?cursor=" + "A" * 500, None),
    ("GET", "/api/v1/dead-letters?cursor=YzE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", None),
    ("GET", "/api/v1/dead-letters?device_id=%00", None),
    ("GET", "/api/v1/elders?town=%00", None),
    ("GET", "/api/v1/elders/%F0%9F%98%80", None),
    ("DELETE", "/api/v1/tokens/99999999999999999999999", None),
    ("DELETE", "/api/v1/tokens/abc", None),
]


@pytest.mark.parametrize(("method", "url", "body"), CASES)
async def test_odd_input_is_answered_with_4xx(
    client: httpx.AsyncClient, admin: dict[str, str], method: str, url: str, body: bytes | None
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.request(method, url, content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
