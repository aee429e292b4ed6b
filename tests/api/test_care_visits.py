"""Care routes against the real database: contacts, visits, compliance, the due list,
watch periods, the monthly report, town isolation and the audit of reads."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg

from care.month import Month
from tests.api.conftest import TokenMaker, bearer, elder_body

TZ = ZoneInfo("Asia/Shanghai")
API = "/api/v1"


def this_month() -> Month:
    return Month.of(datetime.now(TZ).date())


def now_iso() -> str:
    return datetime.now(TZ).isoformat()


def months_ago(n: int) -> str:
    """Noon on the 15th, ``n`` months before this month."""
    month = this_month().shift(-n)
    return datetime(month.year, month.month, 15, 12, tzinfo=TZ).isoformat()


async def file(
    client: httpx.AsyncClient, headers: dict[str, str], elder_id: str, **f: object
) -> None:
    response = await client.post(f"{API}/elders", json=elder_body(elder_id, **f), headers=headers)
    assert response.status_code == 201, response.text


async def visit(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    elder_id: str,
    method: str,
    at: str,
    **f: object,
) -> httpx.Response:
    body = {"elder_id": elder_id, "method": method, "visited_at": at, "visitor": "李社工", **f}
    return await client.post(f"{API}/visits", json=body, headers=headers)


async def test_contacts_come_back_in_the_plans_emergency_order(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await file(client, admin, "KP-1")
    for name, relation in (
        ("村委甲", "village_staff"),
        ("鄰居乙", "neighbour"),
        ("兒子丙", "child"),
    ):
        body = {"name": name, "phone": "13800000000", "relation": relation}
        response = await client.post(f"{API}/elders/KP-1/contacts", json=body, headers=admin)
        assert response.status_code == 201, response.text
    got = (await client.get(f"{API}/elders/KP-1/contacts", headers=admin)).json()
    assert [c["name"] for c in got] == ["兒子丙", "鄰居乙", "村委甲"]
    assert [c["order"] for c in got] == [1, 2, 3]
    bad = await client.post(
        f"{API}/elders/KP-1/contacts",
        json={"name": "x", "phone": "1", "relation": "cousin"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert "relation" in bad.text


async def test_viewer_sees_contacts_masked_and_may_not_add(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "KP-1")
    body = {"name": "王大明", "phone": "13812345678", "relation": "child"}
    await client.post(f"{API}/elders/KP-1/contacts", json=body, headers=admin)
    viewer = bearer(await make_token("viewer"))
    [shown] = (await client.get(f"{API}/elders/KP-1/contacts", headers=viewer)).json()
    assert (shown["name"], shown["phone"]) == ("王*明", "138****5678")
    refused = await client.post(f"{API}/elders/KP-1/contacts", json=body, headers=viewer)
    assert refused.status_code == 403


async def test_viewer_sees_who_visited_and_what_was_found_masked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "KP-1")
    notes = {"findings": "兒子王大明說她血壓高", "follow_up_notes": "轉介社工"}
    response = await visit(client, admin, "KP-1", "in_home", now_iso(), **notes)
    assert response.status_code == 201, response.text
    viewer = bearer(await make_token("viewer"))
    month = str(this_month())
    for headers, masked in ((admin, False), (viewer, True)):
        [listed] = (await client.get(f"{API}/elders/KP-1/visits", headers=headers)).json()["items"]
        compliance = await client.get(
            f"{API}/elders/KP-1/compliance", params={"month": month}, headers=headers
        )
        [in_month] = compliance.json()["visits"]
        for shown in (listed, in_month):
            assert (shown["visitor"] == "李*工") is masked
            assert (shown["findings"] == notes["findings"]) is not masked
            assert (shown["follow_up_notes"] == notes["follow_up_notes"]) is not masked
            assert "王大明" not in str(shown) or not masked


async def test_visit_may_be_back_dated_but_not_in_the_future(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await file(client, admin, "KP-1")
    old = await visit(
        client, admin, "KP-1", "in_home", months_ago(3), findings="電線老化", follow_up=["risk"]
    )
    assert old.status_code == 201, old.text
    assert old.json()["follow_up_needed"] is True
    assert old.json()["source"] == "manual"
    future = (datetime.now(TZ) + timedelta(hours=2)).isoformat()
    late = await visit(client, admin, "KP-1", "phone", future)
    assert late.status_code == 422
    assert "visited_at" in late.text
    unknown = await visit(client, admin, "KP-404", "phone", now_iso())
    assert unknown.status_code == 422
    assert "elder_id" in unknown.text
    naive = await visit(client, admin, "KP-1", "phone", "2026-01-01T10:00:00")
    assert naive.status_code == 422


async def test_visits_list_newest_first_across_pages(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await file(client, admin, "KP-1")
    for n in range(3):
        assert (await visit(client, admin, "KP-1", "phone", months_ago(n + 1))).status_code == 201
    first = (await client.get(f"{API}/elders/KP-1/visits?limit=2", headers=admin)).json()
    assert [v["visited_at"][:7] for v in first["items"]] == [months_ago(1)[:7], months_ago(2)[:7]]
    rest = await client.get(
        f"{API}/elders/KP-1/visits",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=admin,
    )
    assert [v["visited_at"][:7] for v in rest.json()["items"]] == [months_ago(3)[:7]]
    assert rest.json()["next_cursor"] is None


async def test_compliance_of_class_a_needs_in_home_and_class_c_any_visit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await file(client, admin, "A-1")  # born 1941, alone: A
    await file(client, admin, "C-1", birth_date="1956-01-01")  # 70, alone: C
    await visit(client, admin, "A-1", "phone", now_iso())
    await visit(client, admin, "C-1", "in_home", months_ago(11))
    await visit(client, admin, "C-1", "online", now_iso())
    a = (await client.get(f"{API}/elders/A-1/compliance", headers=admin)).json()
    verdict = (a["category"], a["monthly_visit_met"], a["in_home_met"], a["compliant"])
    assert verdict == ("A", True, False, False)
    assert a["next_in_home_due"] == this_month().last_day.isoformat()
    assert len(a["visits"]) == 1
    c = (
        await client.get(f"{API}/elders/C-1/compliance?month={this_month()}", headers=admin)
    ).json()
    assert (c["category"], c["compliant"]) == ("C", True)
    bad = await client.get(f"{API}/elders/C-1/compliance?month=2026-13", headers=admin)
    assert bad.status_code == 422
    assert "month" in bad.text


async def test_due_list_is_most_urgent_first_and_town_staff_see_only_their_town(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "C-recent", birth_date="1956-01-01")
    await file(client, admin, "A-1")
    await file(client, admin, "S-1", town="水口鎮")
    await visit(client, admin, "C-recent", "in_home", months_ago(2))
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    got = (await client.get(f"{API}/visits/due", headers=staff)).json()
    assert [(i["elder_id"], [n["kind"] for n in i["needs"]]) for i in got["items"]] == [
        ("A-1", ["in_home"]),
        ("C-recent", ["any"]),
    ]
    assert got["items"][1]["last_visit_at"] is not None
    other = await client.get(f"{API}/visits/due?town=水口鎮", headers=staff)
    assert other.status_code == 403
    everyone = (await client.get(f"{API}/visits/due", headers=admin)).json()
    assert {i["elder_id"] for i in everyone["items"]} == {"A-1", "C-recent", "S-1"}


async def test_watch_period_adds_required_visits_to_compliance(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "C-1", birth_date="1956-01-01")
    await visit(client, admin, "C-1", "in_home", now_iso())
    today = datetime.now(TZ).date()
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    body = {
        "from": today.isoformat(),
        "to": today.isoformat(),
        "reason": "台風",
        "min_visits_per_week": 7,
    }
    declared = await client.post(f"{API}/watch-periods", json=body, headers=staff)
    assert declared.status_code == 201, declared.text
    assert declared.json()["town"] == "赤坎鎮"
    assert declared.json()["from"] == today.isoformat()
    got = (await client.get(f"{API}/elders/C-1/compliance", headers=admin)).json()
    assert got["plan_minimum_met"] is True
    assert got["watch"][0]["required"] == 1
    assert got["compliant"] is True  # today's in-home visit is the day's watch visit
    listed = (await client.get(f"{API}/watch-periods", headers=admin)).json()
    assert [p["reason"] for p in listed] == ["台風"]
    elsewhere = await client.post(
        f"{API}/watch-periods", json={**body, "town": "水口鎮"}, headers=staff
    )
    assert elsewhere.status_code == 403
    backwards = {**body, "from": (today + timedelta(days=1)).isoformat()}
    assert (
        await client.post(f"{API}/watch-periods", json=backwards, headers=admin)
    ).status_code == 422


async def test_monthly_report_json_csv_xlsx_and_town_isolation(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "A-1")
    await file(client, admin, "C-1", birth_date="1956-01-01")
    await file(client, admin, "S-1", town="水口鎮", birth_date="1956-01-01")
    await visit(client, admin, "A-1", "in_home", now_iso())
    await visit(client, admin, "S-1", "phone", now_iso())
    body = (await client.get(f"{API}/reports/monthly?month={this_month()}", headers=admin)).json()
    towns = {row["town"]: row for row in body["towns"]}
    assert towns["赤坎鎮"]["on_file"] == 2
    assert towns["赤坎鎮"]["monthly_visit_rate"] == 0.5
    assert body["total"]["visited"] == 2
    assert body["total"]["town"] == "合計"
    assert {"key": "monthly_visit_rate", "title": "月探訪率"} in body["columns"]
    csv = await client.get(f"{API}/reports/monthly?format=csv", headers=admin)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff鎮街".encode())
    xlsx = await client.get(f"{API}/reports/monthly?format=xlsx", headers=admin)
    assert zipfile.is_zipfile(io.BytesIO(xlsx.content))
    staff = bearer(await make_token("town_staff", town="水口鎮"))
    own = (await client.get(f"{API}/reports/monthly", headers=staff)).json()
    assert [row["town"] for row in own["towns"]] == ["水口鎮"]
    assert (
        await client.get(f"{API}/reports/monthly?town=赤坎鎮", headers=staff)
    ).status_code == 403


async def test_town_staff_may_not_touch_another_towns_visits(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await file(client, admin, "S-1", town="水口鎮")
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    assert (await visit(client, staff, "S-1", "phone", now_iso())).status_code == 403
    assert (await client.get(f"{API}/elders/S-1/visits", headers=staff)).status_code == 403
    assert (await client.get(f"{API}/elders/S-1/compliance", headers=staff)).status_code == 403
    assert (await client.get(f"{API}/elders/S-1/contacts", headers=staff)).status_code == 403


async def test_reads_of_an_elders_records_are_written_to_the_audit_log(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    await file(client, admin, "KP-1")
    await client.get(f"{API}/elders/KP-1/compliance", headers=admin)
    await client.get(f"{API}/elders/KP-1/visits", headers=admin)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT actor, action, entity FROM audit_log WHERE entity_id = 'KP-1' ORDER BY id"
        )
        rows = await cur.fetchall()
    assert ("admin", "read", "elder.compliance") in rows
    assert ("admin", "read", "elder.visits") in rows
