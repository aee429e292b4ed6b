"""``/api/v1/escalation-policies``: every role reads the three shipped policies; only admins
replace one, refused with 422 naming the field when it is malformed, and every change is
stamped and written to the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from care import audit_repo
from care.audit import AuditEntry
from tests.api.conftest import TokenMaker, bearer

API = "/api/v1/escalation-policies"
CONTRACT_CRITICAL: dict[str, Any] = {
    "severity": "critical",
    "steps": [
        {"after_s": 0, "notify": "on_call"},
        {"after_s": 60, "notify": "contacts", "count": 1},
        {"after_s": 180, "notify": "contacts", "count": 2},
        {"after_s": 600, "notify": "town"},
    ],
    "repeat_after_s": 300,
    "ack_timeout_s": 1800,
}
FASTER: dict[str, Any] = {
    "steps": [
        {"after_s": 0, "notify": "on_call"},
        {"after_s": 30, "notify": "contacts", "count": 3},
        {"after_s": 300, "notify": "town"},
    ],
    "repeat_after_s": 120,
    "ack_timeout_s": 900,
}


def with_counts(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps as answered: ``count`` is always shown (1 unless set)."""
    return [{"count": 1, **step} for step in steps]


async def audit_entries(database_url: str, severity: str) -> list[AuditEntry]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return await audit_repo.entries(conn, "escalation_policy", severity)


@pytest.mark.parametrize("role", ["admin", "operator", "viewer", "town_staff"])
async def test_every_role_reads_the_three_shipped_policies_critical_first(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, role: str
) -> None:
    token = admin if role == "admin" else bearer(await make_token(role, town=_town(role)))
    listed = await client.get(API, headers=token)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [p["severity"] for p in items] == ["critical", "high", "low"]
    critical = items[0]
    assert critical["steps"] == with_counts(CONTRACT_CRITICAL["steps"])
    assert (critical["repeat_after_s"], critical["ack_timeout_s"]) == (300, 1800)
    assert critical["updated_by"] is None
    assert items[2]["steps"] == [{"after_s": 0, "notify": "town", "count": 1}]
    one = await client.get(f"{API}/high", headers=token)
    assert one.status_code == 200
    assert one.json() == items[1]


def _town(role: str) -> str | None:
    return "赤坎鎮" if role == "town_staff" else None


async def test_an_admin_replaces_a_policy_and_gets_it_back_stamped(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = datetime.now(UTC)
    put = await client.put(f"{API}/critical", json=FASTER, headers=admin)
    assert put.status_code == 200, put.text
    stored = put.json()
    assert stored["severity"] == "critical"
    assert stored["steps"] == with_counts(FASTER["steps"])
    assert (stored["repeat_after_s"], stored["ack_timeout_s"]) == (120, 900)
    assert stored["updated_by"] == "admin"
    updated_at = datetime.fromisoformat(stored["updated_at"])
    assert before - timedelta(seconds=1) <= updated_at <= datetime.now(UTC)
    read = await client.get(f"{API}/critical", headers=admin)
    assert read.json() == stored
    others = (await client.get(API, headers=admin)).json()["items"]
    assert others[1]["updated_by"] is None, "the other severities are left as they were"


async def test_an_admin_token_made_through_the_api_is_named_by_its_id_not_its_name(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    token = await make_token("admin", name="Ops lead")
    put = await client.put(f"{API}/low", json={**FASTER, "severity": "low"}, headers=bearer(token))
    assert put.status_code == 200, put.text
    assert put.json()["updated_by"].startswith("token:")
    assert "Ops lead" not in put.text


async def test_the_change_is_written_to_the_audit_log_with_before_and_after(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    assert await audit_entries(database_url, "critical") == []
    put = await client.put(f"{API}/critical", json=CONTRACT_CRITICAL | FASTER, headers=admin)
    assert put.status_code == 200, put.text
    entries = await audit_entries(database_url, "critical")
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.role, entry.action, entry.entity_id) == (
        "admin",
        "admin",
        "update",
        "critical",
    )
    assert entry.detail is not None
    assert entry.detail["before"]["repeat_after_s"] == 300
    assert entry.detail["after"]["repeat_after_s"] == 120
    assert entry.detail["after"]["steps"] == with_counts(FASTER["steps"])


async def test_left_out_ack_timeout_is_the_severitys_shipped_value(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"steps": [{"after_s": 0, "notify": "on_call"}], "repeat_after_s": 0}
    high = await client.put(f"{API}/high", json=body, headers=admin)
    assert high.status_code == 200, high.text
    assert high.json()["ack_timeout_s"] == 4 * 3600
    low = await client.put(f"{API}/low", json=body, headers=admin)
    assert low.json()["ack_timeout_s"] == 7 * 24 * 3600


async def test_a_high_or_low_policy_may_stop_after_its_last_step(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    put = await client.put(f"{API}/high", json={**FASTER, "repeat_after_s": 0}, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json()["repeat_after_s"] == 0


def _steps(*after: int) -> list[dict[str, Any]]:
    return [{"after_s": a, "notify": "on_call"} for a in after]


@pytest.mark.parametrize(
    ("severity", "change", "loc"),
    [
        ("critical", {"steps": _steps(0, -60)}, ("body", "steps", 1, "after_s")),
        (
            "critical",
            {"steps": [{"after_s": 0, "notify": "pager"}]},
            ("body", "steps", 0, "notify"),
        ),
        ("critical", {"steps": []}, ("body", "steps")),
        ("critical", {"steps": _steps(0, 600, 60)}, ("body", "steps")),
        ("critical", {"repeat_after_s": 0}, ("body", "repeat_after_s")),
        ("high", {"severity": "critical"}, ("body", "severity")),
        ("urgent", {}, ("path", "severity")),
        ("critical", {"updated_by": "me"}, ("body", "updated_by")),
    ],
    ids=[
        "negative-after",
        "unknown-notify",
        "no-steps",
        "out-of-order",
        "critical-never-repeats",
        "other-severity",
        "unknown-severity",
        "unknown-field",
    ],
)
async def test_a_malformed_policy_is_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database_url: str,
    severity: str,
    change: dict[str, Any],
    loc: tuple[str | int, ...],
) -> None:
    before = (await client.get(API, headers=admin)).json()
    response = await client.put(f"{API}/{severity}", json=FASTER | change, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == list(loc)
    assert (await client.get(API, headers=admin)).json() == before
    assert await audit_entries(database_url, severity) == []


async def test_only_an_admin_may_replace_a_policy(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    for role in ("operator", "viewer", "town_staff"):
        token = bearer(await make_token(role, town=_town(role)))
        response = await client.put(f"{API}/critical", json=FASTER, headers=token)
        assert response.status_code == 403, role
    anonymous = await client.put(f"{API}/critical", json=FASTER)
    assert anonymous.status_code == 401
    assert (await client.get(API)).status_code == 401
    assert (await client.get(API, headers=bearer("tf_not-a-token"))).status_code == 401
