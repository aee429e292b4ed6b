"""``/api/v1/alerts`` per role: operators and admins act on every alert, town staff on
their own town's only, viewers read masked; ack and resolve name who did it in the alert,
its timeline and the audit log; refusals are 409 and 422 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

API = "/api/v1"
OTHER = "水口鎮"
T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


async def open_sos(database_url: str, elder_id: str, device_id: str) -> int:
    """An alert as the gateway opens it."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO devices (id, type, elder_id, room) VALUES (%s, 'sos_button', %s,"
            " 'bedroom') ON CONFLICT DO NOTHING",
            (device_id, elder_id),
        )
        done = await open_alert(conn, AlertSignal(AlertType.SOS, elder_id, device_id), T0)
    return done.alert.id


@pytest.fixture
async def homes(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> dict[str, int]:
    """An SOS alert of an elder of 赤坎鎮 and one of another town."""
    for elder_id, town in (("KP-1", "赤坎鎮"), ("KP-2", OTHER)):
        response = await client.post(
            f"{API}/elders", json=elder_body(elder_id, town=town), headers=admin
        )
        assert response.status_code == 201, response.text
    return {
        "own": await open_sos(database_url, "KP-1", "pat-1"),
        "other": await open_sos(database_url, "KP-2", "pat-2"),
    }


async def test_an_operator_lists_alerts_newest_first_with_the_contract_fields(
    client: httpx.AsyncClient, make_token: TokenMaker, homes: dict[str, int]
) -> None:
    operator = bearer(await make_token("operator"))
    response = await client.get(f"{API}/alerts", headers=operator)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [a["id"] for a in items] == [str(homes["other"]), str(homes["own"])], "ids are text"
    first = items[1]
    assert first["summary"] == "SOS 求助 — 平安通 (bedroom)"
    assert {k: first[k] for k in ("type", "severity", "elder_id", "device_id", "status")} == {
        "type": "sos",
        "severity": "critical",
        "elder_id": "KP-1",
        "device_id": "pat-1",
        "status": "open",
    }
    for field in ("opened_at", "acked_at", "resolved_at", "escalation_level", "count"):
        assert field in first


async def test_the_list_filters_and_pages_with_a_cursor(
    client: httpx.AsyncClient, admin: dict[str, str], homes: dict[str, int]
) -> None:
    page = await client.get(f"{API}/alerts", params={"limit": 1}, headers=admin)
    body = page.json()
    assert [int(a["id"]) for a in body["items"]] == [homes["other"]]
    rest = await client.get(
        f"{API}/alerts", params={"limit": 1, "cursor": body["next_cursor"]}, headers=admin
    )
    assert [int(a["id"]) for a in rest.json()["items"]] == [homes["own"]]
    assert rest.json()["next_cursor"] is None
    by_elder = await client.get(f"{API}/alerts", params={"elder_id": "KP-1"}, headers=admin)
    assert [int(a["id"]) for a in by_elder.json()["items"]] == [homes["own"]]
    none = await client.get(
        f"{API}/alerts", params={"status": "resolved", "type": "sos"}, headers=admin
    )
    assert none.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "closed"}, "status"), ({"type": "flood"}, "type"), ({"cursor": "x"}, "cursor")],
)
async def test_bad_list_filters_are_422_naming_the_parameter(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = await client.get(f"{API}/alerts", params=params, headers=admin)
    assert_refused_at(response, "query", field)


async def test_ack_then_resolve_name_who_did_it_in_the_alert_timeline_and_audit_log(
    client: httpx.AsyncClient,
    make_token: TokenMaker,
    admin: dict[str, str],
    homes: dict[str, int],
    database_url: str,
) -> None:
    operator = bearer(await make_token("operator", name="night shift"))
    alert_id = homes["own"]
    acked = await client.post(
        f"{API}/alerts/{alert_id}/ack", json={"by": "李值班"}, headers=operator
    )
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["acked_by"]) == ("acked", "李值班")
    assert acked.json()["acked_at"] is not None
    resolved = await client.post(
        f"{API}/alerts/{alert_id}/resolve",
        json={"by": "李值班", "outcome": "handled_at_home", "notes": "按錯了"},
        headers=operator,
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["outcome"], body["notes"]) == (
        "resolved",
        "handled_at_home",
        "按錯了",
    )
    shown = (await client.get(f"{API}/alerts/{alert_id}", headers=operator)).json()
    timeline = [(e["kind"], e["who"]) for e in shown["timeline"]]
    assert timeline == [("opened", None), ("acked", "李值班"), ("resolved", "李值班")]
    actors = {e["actor"] for e in shown["timeline"][1:]}
    assert len(actors) == 1
    assert actors.pop().startswith("token:")
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT action, actor, detail->>'by' FROM audit_log WHERE entity = 'alert'"
            " AND entity_id = %s ORDER BY id",
            (str(alert_id),),
        )
        audit = await cur.fetchall()
    assert [(a, by) for a, _, by in audit] == [("ack", "李值班"), ("resolve", "李值班")]
    assert all(actor.startswith("token:") for _, actor, _ in audit)


async def test_an_open_alert_may_be_resolved_directly_but_not_twice_nor_acked_after(
    client: httpx.AsyncClient, admin: dict[str, str], homes: dict[str, int]
) -> None:
    url = f"{API}/alerts/{homes['own']}"
    body = {"by": "admin", "outcome": "false_alarm"}
    assert (await client.post(f"{url}/resolve", json=body, headers=admin)).status_code == 200
    assert (await client.post(f"{url}/resolve", json=body, headers=admin)).status_code == 409
    ack = await client.post(f"{url}/ack", json={"by": "admin"}, headers=admin)
    assert ack.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"by": "x", "outcome": "fixed"}, "outcome"),
        ({"by": "", "outcome": "other"}, "by"),
        ({"outcome": "other"}, "by"),
        ({"by": "x", "outcome": "other", "notes": "a\x00b"}, "notes"),
    ],
)
async def test_a_bad_resolve_body_is_422_naming_the_field(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    homes: dict[str, int],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(f"{API}/alerts/{homes['own']}/resolve", json=body, headers=admin)
    assert_refused_at(response, "body", field)


async def test_unknown_or_malformed_alert_ids_are_404_and_422(
    client: httpx.AsyncClient, admin: dict[str, str], homes: dict[str, int]
) -> None:
    assert (await client.get(f"{API}/alerts/999999", headers=admin)).status_code == 404
    assert_refused_at(await client.get(f"{API}/alerts/abc", headers=admin), "path", "alert_id")
    too_big = await client.get(f"{API}/alerts/{2**70}", headers=admin)
    assert_refused_at(too_big, "path", "alert_id")


async def test_town_staff_see_and_act_on_their_own_towns_alerts_only(
    client: httpx.AsyncClient, make_token: TokenMaker, homes: dict[str, int]
) -> None:
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    listed = await client.get(f"{API}/alerts", headers=staff)
    assert [int(a["id"]) for a in listed.json()["items"]] == [homes["own"]]
    other = f"{API}/alerts/{homes['other']}"
    assert (await client.get(other, headers=staff)).status_code == 403
    ack = await client.post(f"{other}/ack", json={"by": "鎮幹部"}, headers=staff)
    assert ack.status_code == 403
    asked = await client.get(f"{API}/alerts", params={"elder_id": "KP-2"}, headers=staff)
    assert asked.status_code == 403
    own = await client.post(
        f"{API}/alerts/{homes['own']}/ack", json={"by": "鎮幹部"}, headers=staff
    )
    assert own.status_code == 200, own.text


async def test_viewers_read_alerts_masked_and_may_not_act(
    client: httpx.AsyncClient,
    make_token: TokenMaker,
    admin: dict[str, str],
    homes: dict[str, int],
) -> None:
    url = f"{API}/alerts/{homes['own']}"
    await client.post(f"{url}/ack", json={"by": "李值班"}, headers=admin)
    viewer = bearer(await make_token("viewer"))
    shown = (await client.get(url, headers=viewer)).json()
    assert shown["masked"] is True
    assert shown["acked_by"] == "李*班"
    assert [e["who"] for e in shown["timeline"]] == [None, "李*班"]
    assert "王小明" not in str(shown)
    listed = (await client.get(f"{API}/alerts", headers=viewer)).json()["items"]
    assert {a["acked_by"] for a in listed} == {"李*班", None}
    refused = await client.post(
        f"{url}/resolve", json={"by": "v", "outcome": "other"}, headers=viewer
    )
    assert refused.status_code == 403


async def test_alerts_need_a_bearer_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/alerts")).status_code == 401
