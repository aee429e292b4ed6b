"""``/ack/{token}`` against the real app and database: the page shows the alert and
changes nothing; only its button's POST acknowledges, as the recipient the notification
named; an acked or resolved alert says so; anything but our own token is a 403 page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from alerting.ack_links import make_token
from alerting.models import AlertSignal, AlertType
from alerting.secrets_repo import ack_link_key
from alerting.services import open_alert
from api.ack_html import CONTENT_SECURITY_POLICY
from tests.api.conftest import elder_body

API = "/api/v1"
T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)  # 08:15 in Asia/Shanghai
ON_CALL = "on_call:1"
CONTACT = "contact:2"
ON_CALL_NAME = "李值班"
CONTACT_NAME = "王家屬"
OWN_ORIGIN = "http://tanfang.test"  # the test client's base URL
CONFIRM = "確認已收到，我會處理"


async def add_notification(
    database_url: str, alert_id: int, key: str, name: str | None, role: str = "on_call"
) -> None:
    """A notification row as the escalator writes one for a recipient."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO notifications (alert_id, cycle, step, level, purpose, recipient_role,"
            " recipient_key, recipient_name, recipient_phone, channel, created_at,"
            " next_attempt_at, give_up_at)"
            " VALUES (%s, 0, 0, 0, 'alert', %s, %s, %s, '13800001111', 'webhook', %s, %s,"
            " %s + interval '1 hour')",
            (alert_id, role, key, name, T0, T0, T0),
        )


async def token_for(database_url: str, alert_id: int, key: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        return make_token(await ack_link_key(conn), alert_id, key)


@pytest.fixture
async def alert_id(client: httpx.AsyncClient, admin: dict[str, str], database_url: str) -> int:
    """An open SOS alert of KP-1, notified to the on-call and to a contact."""
    response = await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)
    assert response.status_code == 201, response.text
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO devices (id, type, elder_id, room) VALUES ('pat-1', 'sos_button',"
            " 'KP-1', 'bedroom')"
        )
        done = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
    await add_notification(database_url, done.alert.id, ON_CALL, ON_CALL_NAME)
    await add_notification(database_url, done.alert.id, CONTACT, CONTACT_NAME, "contact")
    return done.alert.id


async def alert_of(client: httpx.AsyncClient, admin: dict[str, str], alert_id: int) -> Any:
    response = await client.get(f"{API}/alerts/{alert_id}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    )
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"] == "noindex"
    page = response.text
    assert '<meta name="viewport"' in page
    assert "http" not in page, "nothing loaded from elsewhere, no absolute link"
    assert not re.search(r"<(script|img|link|iframe)\b", page)


async def test_the_page_shows_the_alert_and_a_button_and_acknowledges_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    token = await token_for(database_url, alert_id, ON_CALL)
    for _ in range(2):  # a link preview, then the person
        response = await client.get(f"/ack/{token}")
        assert response.status_code == 200, response.text
    assert_page_headers(response)
    page = response.text
    for shown in ("緊急警報確認", "SOS 求助 — 平安通 (bedroom)", "KP-1", "2026-11-29 08:15"):
        assert shown in page
    assert ON_CALL_NAME in page
    assert '<form method="post">' in page
    assert CONFIRM in page
    alert = await alert_of(client, admin, alert_id)
    assert alert["status"] == "open"
    assert [row["kind"] for row in alert["timeline"]] == ["opened"]
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute("SELECT count(*) FROM audit_log WHERE action = 'ack'")
        assert await cur.fetchone() == (0,)


async def test_the_button_acknowledges_as_the_recipient_of_the_link(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    token = await token_for(database_url, alert_id, ON_CALL)
    response = await client.post(f"/ack/{token}", headers={"Origin": OWN_ORIGIN})
    assert response.status_code == 200, response.text
    assert_page_headers(response)
    assert "已確認 — 謝謝" in response.text
    assert CONFIRM not in response.text
    alert = await alert_of(client, admin, alert_id)
    assert (alert["status"], alert["acked_by"]) == ("acked", ON_CALL_NAME)
    acked = [row for row in alert["timeline"] if row["kind"] == "acked"]
    assert [(row["actor"], row["who"]) for row in acked] == [(f"ack-link:{ON_CALL}", ON_CALL_NAME)]
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT actor, role, entity_id, town, detail->>'by' FROM audit_log"
            " WHERE entity = 'alert' AND action = 'ack'"
        )
        assert await cur.fetchall() == [
            (f"ack-link:{ON_CALL}", "ack_link", str(alert_id), "赤坎鎮", ON_CALL_NAME)
        ]


async def test_a_second_press_says_it_was_acknowledged_and_names_only_the_same_recipient(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    mine = await token_for(database_url, alert_id, ON_CALL)
    theirs = await token_for(database_url, alert_id, CONTACT)
    assert (await client.post(f"/ack/{mine}")).status_code == 200
    again = await client.post(f"/ack/{mine}")
    assert again.status_code == 200
    assert f"您（{ON_CALL_NAME}）已確認過此警報" in again.text
    for response in (await client.post(f"/ack/{theirs}"), await client.get(f"/ack/{theirs}")):
        assert response.status_code == 200
        assert "已有人確認" in response.text
        assert ON_CALL_NAME not in response.text, "another recipient is not told who"
        assert CONFIRM not in response.text
    alert = await alert_of(client, admin, alert_id)
    assert alert["acked_by"] == ON_CALL_NAME
    assert [row["kind"] for row in alert["timeline"]].count("acked") == 1


async def test_a_resolved_alert_says_it_is_closed_and_is_not_acknowledged(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    token = await token_for(database_url, alert_id, CONTACT)
    resolved = await client.post(
        f"{API}/alerts/{alert_id}/resolve",
        json={"by": ON_CALL_NAME, "outcome": "false_alarm"},
        headers=admin,
    )
    assert resolved.status_code == 200, resolved.text
    for response in (await client.get(f"/ack/{token}"), await client.post(f"/ack/{token}")):
        assert response.status_code == 200, response.text
        assert_page_headers(response)
        assert "此警報已處理完畢，無需再確認" in response.text
        assert CONFIRM not in response.text
    alert = await alert_of(client, admin, alert_id)
    assert (alert["status"], alert["acked_by"]) == ("resolved", None)


async def test_anything_but_a_token_of_ours_for_an_alert_is_a_403_page(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    token = await token_for(database_url, alert_id, ON_CALL)
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    other_key = make_token(bytes(32), alert_id, ON_CALL)
    no_alert = await token_for(database_url, alert_id + 1000, ON_CALL)
    for bad in (flipped, token[:-1], other_key, no_alert, "not-a-token", "x" * 5000):
        for response in (await client.get(f"/ack/{bad}"), await client.post(f"/ack/{bad}")):
            assert response.status_code == 403, (bad, response.text)
            assert_page_headers(response)
            assert "連結無效" in response.text
    assert (await alert_of(client, admin, alert_id))["status"] == "open"


async def test_a_post_from_another_sites_page_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    token = await token_for(database_url, alert_id, ON_CALL)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        response = await client.post(f"/ack/{token}", headers=headers)
        assert response.status_code == 403, headers
        assert_page_headers(response)
    assert (await alert_of(client, admin, alert_id))["status"] == "open"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": OWN_ORIGIN, "Sec-Fetch-Site": "same-origin"},
        # The page's form under Referrer-Policy: no-referrer sends Origin: null.
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        # Behind a TLS-terminating proxy: the browser's https, the app's http.
        {"Origin": "https://tanfang.test"},
        {},  # not a browser: the token is the capability
    ],
)
async def test_a_post_from_the_page_itself_acknowledges(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database_url: str,
    alert_id: int,
    headers: dict[str, str],
) -> None:
    token = await token_for(database_url, alert_id, ON_CALL)
    response = await client.post(f"/ack/{token}", headers=headers)
    assert response.status_code == 200, response.text
    assert (await alert_of(client, admin, alert_id))["status"] == "acked"


async def test_every_value_on_the_page_is_escaped(
    client: httpx.AsyncClient, database_url: str, alert_id: int
) -> None:
    await add_notification(database_url, alert_id, "contact:9", '<script>x("1")</script>&')
    token = await token_for(database_url, alert_id, "contact:9")
    page = (await client.get(f"/ack/{token}")).text
    assert "<script>" not in page
    assert "&lt;script&gt;x(&quot;1&quot;)&lt;/script&gt;&amp;" in page


async def test_a_link_without_a_named_recipient_acknowledges_under_its_role(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, alert_id: int
) -> None:
    await add_notification(database_url, alert_id, "town:赤坎鎮", None, "town")
    token = await token_for(database_url, alert_id, "town:赤坎鎮")
    assert (await client.post(f"/ack/{token}")).status_code == 200
    alert = await alert_of(client, admin, alert_id)
    assert alert["acked_by"] == "town"
    assert alert["timeline"][-1]["actor"] == "ack-link:town:赤坎鎮"
