"""The elder's file in the care domain: refusal with reason and date, the contact person,
the no-contact flag, the history of changes, and the audit of reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

ELDERS = "/api/v1/elders"


async def test_refusal_of_visits_needs_a_reason_and_gets_a_date(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    missing = await client.post(ELDERS, json=elder_body("KP-1", visit_consent=False), headers=admin)
    assert missing.status_code == 422
    assert "refusal_reason" in missing.text
    body = elder_body("KP-1", visit_consent=False, refusal_reason="子女反對上門")
    created = await client.post(ELDERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["refusal_date"] is not None
    await client.post(ELDERS, json=elder_body("KP-2"), headers=admin)
    patched = await client.patch(f"{ELDERS}/KP-2", json={"visit_consent": False}, headers=admin)
    assert patched.status_code == 422
    assert "refusal_reason" in patched.text


async def test_file_shows_contact_person_and_flags_no_emergency_contact(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = elder_body("KP-1", contact_person="李社工", contact_person_phone="13900000000")
    await client.post(ELDERS, json=body, headers=admin)
    got = (await client.get(f"{ELDERS}/KP-1", headers=admin)).json()
    assert got["contact_person"] == "李社工"
    assert got["no_contact"] is True
    contact = {"name": "兒子", "phone": "13800000000", "relation": "child"}
    await client.post(f"{ELDERS}/KP-1/contacts", json=contact, headers=admin)
    assert (await client.get(f"{ELDERS}/KP-1", headers=admin)).json()["no_contact"] is False


async def test_history_keeps_every_change_with_who_made_it(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    staff_token = await make_token("town_staff", town="赤坎鎮")
    staff = bearer(staff_token)
    await client.patch(f"{ELDERS}/KP-1", json={"village": "北村"}, headers=staff)
    changes = (await client.get(f"{ELDERS}/KP-1/history", headers=staff)).json()
    assert [c["operation"] for c in changes] == ["update", "insert"]
    assert changes[0]["changes"] == {"village": {"before": "南村", "after": "北村"}}
    assert changes[0]["changed_by"].startswith("token:")
    assert changes[1]["changed_by"] == "admin"
    viewer = bearer(await make_token("viewer"))
    assert (await client.get(f"{ELDERS}/KP-1/history", headers=viewer)).status_code == 403


async def test_every_read_of_the_file_is_in_the_audit_log_only_admins_read(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    operator = bearer(await make_token("operator"))
    await client.get(f"{ELDERS}/KP-1", headers=operator)
    await client.get(f"{ELDERS}/KP-1", headers=admin)
    entries = (await client.get(f"{ELDERS}/KP-1/audit", headers=admin)).json()
    assert [(e["action"], e["role"]) for e in entries][:3] == [
        ("read", "admin"),
        ("read", "operator"),
        ("create", "admin"),
    ]
    assert (await client.get(f"{ELDERS}/KP-1/audit", headers=operator)).status_code == 403


async def test_filed_on_defaults_to_today_may_be_back_dated_but_not_in_the_future(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    assert created.json()["filed_on"] == datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    paper = await client.post(ELDERS, json=elder_body("KP-2", filed_on="2024-05-20"), headers=admin)
    assert paper.json()["filed_on"] == "2024-05-20"
    patched = await client.patch(f"{ELDERS}/KP-1", json={"filed_on": "2024-06-01"}, headers=admin)
    assert patched.json()["filed_on"] == "2024-06-01"
    future = (date.today() + timedelta(days=2)).isoformat()
    for response in (
        await client.post(ELDERS, json=elder_body("KP-3", filed_on=future), headers=admin),
        await client.patch(f"{ELDERS}/KP-1", json={"filed_on": future}, headers=admin),
        await client.patch(f"{ELDERS}/KP-1", json={"filed_on": None}, headers=admin),
    ):
        assert_refused_at(response, "body", "filed_on")
