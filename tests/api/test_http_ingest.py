"""HTTP ingest of vendor platforms (``POST /api/v1/ingest/{name}``) on the real database:
signed bodies stored once by message id and answered after the commit, an SOS opening its
alert, bad signatures and unusable bodies refused, unbound vendor ids listed and replayed on
binding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from alerting.webhook import sign
from tanfang.settings import Settings
from tests.api.conftest import assert_refused_at, bearer
from tests.gateway.foreign_rig import VENDOR_SECRET, api, bind, foreign_settings
from tests.gateway.helpers import fetch, scalar

URL = "/api/v1/ingest/acme"
ACME = "http:acme"


@pytest.fixture
async def vendor(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api(foreign_settings(settings)) as client:
        yield client


async def post(
    client: httpx.AsyncClient, body: object, *, secret: str = VENDOR_SECRET, url: str = URL
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"X-Tanfang-Signature": sign(raw, secret), "Content-Type": "application/json"}
    return await client.post(url, content=raw, headers=headers)


async def events(url: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT device_id, kind, value, extra ->> 'message_id' FROM events ORDER BY ts, kind",
    )


async def test_a_signed_body_is_stored_and_a_retried_delivery_stored_once(
    vendor: httpx.AsyncClient, admin_token: str, database_url: str
) -> None:
    source = {"kind": ACME, "address": "PAT-1"}
    assert (await bind(vendor, admin_token, "pat-1", "sos_button", source)).is_success
    body = [
        {"device_id": "PAT-1", "kind": "checkin", "ts": 1_764_460_800, "message_id": "m-1"},
        {"device_id": "PAT-1", "kind": "heartbeat", "ts": 1_764_460_801, "message_id": "m-2"},
    ]
    first = await post(vendor, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 2, "duplicate": 0, "refused": 0}
    again = await post(vendor, body)  # the vendor did not get the answer and retries
    assert again.json() == {"stored": 0, "duplicate": 2, "refused": 0}
    assert await events(database_url) == [
        ("pat-1", "checkin", None, "m-1"),
        ("pat-1", "heartbeat", None, "m-2"),
    ]
    # A check-in over HTTP is an online visit, as over MQTT.
    assert await scalar(database_url, "SELECT count(*) FROM visits") == 1


async def test_an_sos_over_http_opens_its_alert_before_the_answer(
    vendor: httpx.AsyncClient, admin_token: str, database_url: str
) -> None:
    source = {"kind": ACME, "address": "PAT-2"}
    assert (await bind(vendor, admin_token, "pat-2", "sos_button", source)).is_success
    answer = await post(vendor, {"device_id": "PAT-2", "kind": "sos", "message_id": "s-1"})
    assert answer.json() == {"stored": 1, "duplicate": 0, "refused": 0}
    alerts = await fetch(database_url, "SELECT type, device_id, severity, status FROM alerts")
    assert alerts == [("sos", "pat-2", "critical", "open")]


@pytest.mark.parametrize(
    ("secret", "url", "signed"),
    [
        ("wrong-secret-0123456789", URL, True),  # signed with another key
        (VENDOR_SECRET, "/api/v1/ingest/other", True),  # a source with no secret
        (VENDOR_SECRET, URL, False),  # no signature at all
    ],
)
async def test_a_missing_or_wrong_signature_is_a_401_and_stores_nothing(
    vendor: httpx.AsyncClient,
    admin_token: str,
    database_url: str,
    secret: str,
    url: str,
    signed: bool,
) -> None:
    source = {"kind": ACME, "address": "PAT-3"}
    assert (await bind(vendor, admin_token, "pat-3", "sos_button", source)).is_success
    body = {"device_id": "PAT-3", "kind": "sos"}
    if signed:
        answer = await post(vendor, body, secret=secret, url=url)
    else:
        answer = await vendor.post(url, content=orjson.dumps(body))
    assert answer.status_code == 401
    # The admin's bearer token is no signature either.
    with_token = await vendor.post(url, json=body, headers=bearer(admin_token))
    assert with_token.status_code == 401
    assert await events(database_url) == []
    assert await scalar(database_url, "SELECT count(*) FROM dead_letters") == 0


@pytest.mark.parametrize("body", [b"{not json", b"[]", orjson.dumps([{"kind": "sos"}])])
async def test_a_body_wrong_as_a_whole_is_a_422_naming_the_body(
    vendor: httpx.AsyncClient, body: bytes
) -> None:
    assert_refused_at(await post(vendor, body), "body")


async def test_an_unbound_vendor_id_is_refused_listed_and_replayed_when_bound(
    vendor: httpx.AsyncClient, admin_token: str, database_url: str
) -> None:
    body = [
        {"device_id": "PAT-9", "kind": "checkin", "ts": 1_764_460_900, "message_id": "u-1"},
        {"device_id": "PAT-9", "kind": "battery_report", "message_id": "u-2"},
    ]
    answer = await post(vendor, body)
    assert answer.json() == {"stored": 0, "duplicate": 0, "refused": 2}
    listed = (await vendor.get("/api/v1/fleet/unbound", headers=bearer(admin_token))).json()
    assert [(u["kind"], u["address"], u["count"]) for u in listed] == [(ACME, "PAT-9", 1)]
    # A retry of the same delivery adds no second letter.
    assert (await post(vendor, body)).json() == {"stored": 0, "duplicate": 2, "refused": 0}

    source = {"kind": ACME, "address": "PAT-9"}
    assert (await bind(vendor, admin_token, "pat-9", "sos_button", source)).is_success
    # The check-in is stored; the unknown kind is a dead letter of the device now.
    assert await events(database_url) == [("pat-9", "checkin", None, "u-1")]
    letters = await fetch(database_url, "SELECT reason, device_id, source_kind FROM dead_letters")
    assert letters == [("unknown_kind", "pat-9", ACME)]
    assert (await vendor.get("/api/v1/fleet/unbound", headers=bearer(admin_token))).json() == []


async def test_two_deliveries_of_one_message_at_once_store_it_once(
    vendor: httpx.AsyncClient, admin_token: str, database_url: str
) -> None:
    source = {"kind": ACME, "address": "PAT-4"}
    assert (await bind(vendor, admin_token, "pat-4", "sos_button", source)).is_success
    body = {"device_id": "PAT-4", "kind": "sos", "message_id": "twice"}
    answers = await asyncio.gather(post(vendor, body), post(vendor, body))
    assert sorted((a.json()["stored"], a.json()["duplicate"]) for a in answers) == [(0, 1), (1, 0)]
    assert await scalar(database_url, "SELECT count(*) FROM events") == 1
    assert await scalar(database_url, "SELECT count(*) FROM alerts") == 1


async def test_an_sos_from_an_unbound_vendor_id_is_kept_and_logged_as_reaching_nobody(
    vendor: httpx.AsyncClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await post(vendor, {"device_id": "PAT-404", "kind": "sos", "message_id": "lost"})
    assert answer.json() == {"stored": 0, "duplicate": 0, "refused": 1}
    letters = await fetch(database_url, "SELECT reason, source_address FROM dead_letters")
    assert letters == [("unbound_source", "PAT-404")]
    assert any(
        "critical event (sos) from a http:acme address bound to no device" in r.message
        for r in caplog.records
    )
    assert not any("PAT-404" in r.getMessage() for r in caplog.records)
