"""The elder card, visits due, fleet and monthly report views in a real browser, on real data
written through the API (and the device state and events as the gateway writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.api.conftest import elder_body, execute
from tests.browser.conftest import ConsoleApp, sign_in

CHIKAN: Final = "赤坎鎮"
SHUIKOU: Final = "水口鎮"
CONTACTS: Final = (
    {"name": "陳大文", "phone": "13900001111", "relation": "neighbour"},
    {"name": "王美玲", "phone": "13800002222", "relation": "child"},
)


@dataclass(frozen=True, slots=True)
class Homes:
    """The rig's homes, and tokens of each role to sign in with."""

    app: ConsoleApp
    tokens: dict[str, str]


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1{path}", json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json() if isinstance(response.json(), dict) else {}
    return answer


async def _events(
    database_url: str, elder_id: str, device_id: str, kind: str, ago: list[int]
) -> None:
    now = datetime.now(UTC)
    for n, minutes in enumerate(ago):
        await execute(
            database_url,
            "INSERT INTO events (device_id, ts, seq, kind, value, battery, flags, elder_id,"
            " received_at) VALUES (%s, %s, %s, %s, 1, 80, '{}', %s, now())",
            (device_id, now - timedelta(minutes=minutes), n, kind, elder_id),
        )


@pytest.fixture
async def homes(console_app: ConsoleApp) -> Homes:
    """KP-1 of 赤坎鎮 with two contacts, a bedroom sensor, an offline door sensor, a button
    low on battery, a day of activity and an open alert; KP-2 of 赤坎鎮 with no contact;
    KP-3 of 水口鎮."""
    headers = {"Authorization": f"Bearer {console_app.admin_token}"}
    async with httpx.AsyncClient(base_url=console_app.url, headers=headers) as client:
        await _post(client, "/elders", elder_body("KP-1", name="李秀英"))
        await _post(client, "/elders", elder_body("KP-2", name="張國強", incapacitated=True))
        await _post(client, "/elders", elder_body("KP-3", name="黃志明", town=SHUIKOU))
        for contact in CONTACTS:
            await _post(client, "/elders/KP-1/contacts", contact)
        for device in (
            {"id": "pir-1", "type": "motion_sensor", "elder_id": "KP-1", "room": "bedroom"},
            {"id": "door-1", "type": "door_sensor", "elder_id": "KP-1", "room": "entrance"},
            {"id": "sos-1", "type": "sos_button", "elder_id": "KP-1"},
            {"id": "pir-3", "type": "motion_sensor", "elder_id": "KP-3", "room": "hall"},
        ):
            await _post(client, "/devices", device)
        tokens = {"admin": console_app.admin_token}
        for role, town in (("viewer", None), ("town_staff", CHIKAN), ("operator", None)):
            body = {"role": role, "name": f"{role} 測試", **({"town": town} if town else {})}
            tokens[role] = str((await _post(client, "/tokens", body))["token"])
        tokens["shuikou_staff"] = str(
            (
                await _post(
                    client, "/tokens", {"role": "town_staff", "town": SHUIKOU, "name": "水口"}
                )
            )["token"]
        )
    db = console_app.database_url
    seen = "now() - interval '2 minutes'"
    await execute(db, f"UPDATE devices SET online = true, last_seen = {seen}, battery = 88")
    await execute(db, "UPDATE devices SET online = false WHERE id = 'door-1'")
    await execute(db, "UPDATE devices SET battery = 8 WHERE id = 'sos-1'")
    await _events(db, "KP-1", "pir-1", "motion", [15, 200, 600])
    await _events(db, "KP-1", "door-1", "door", [30, 610])
    await execute(
        db,
        "INSERT INTO alerts (type, severity, subject, elder_id, opened_at, last_seen_at, summary)"
        " VALUES ('inactivity', 'high', 'elder:KP-1', 'KP-1', now() - interval '40 minutes',"
        " now(), 'no movement for 3 h')",
    )
    return Homes(console_app, tokens)


async def _open(page: Page, homes: Homes, role: str, route: str) -> None:
    await sign_in(page, homes.app.console, homes.tokens[role])
    await page.goto(f"{homes.app.console}{route}")


async def assert_no_horizontal_scroll(page: Page) -> None:
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


async def test_the_elder_card_shows_the_file_contacts_in_order_activity_devices_and_alerts(
    page: Page, homes: Homes
) -> None:
    await _open(page, homes, "admin", "#/elder/KP-1")
    await expect(page.locator(".elder-head h1")).to_contain_text("李秀英")
    contacts = page.locator("#contacts ol.contacts li")
    await expect(contacts).to_have_count(2)
    # The emergency order: the child before the neighbour, each callable.
    await expect(contacts.nth(0)).to_contain_text("王美玲")
    await expect(contacts.nth(0).locator("a[href='tel:13800002222']")).to_be_visible()
    await expect(contacts.nth(1)).to_contain_text("陳大文")
    rooms = page.locator("#activity .tl-row:not(.tl-axis)")
    await expect(rooms).to_have_count(2)
    await expect(page.locator("#activity [data-room='bedroom'] rect")).to_have_count(3)
    await expect(page.locator("#devices li[data-device='sos-1']")).to_contain_text("電量低")
    await expect(page.locator("#devices li[data-device='door-1']")).to_contain_text("離線")
    await expect(page.locator("#alerts")).to_contain_text("長時間無活動")
    await expect(page.locator("#compliance")).to_contain_text("本月探訪")
    await expect(page.locator("#file")).to_contain_text("獨居")


async def test_an_elder_without_contacts_is_said_in_red(page: Page, homes: Homes) -> None:
    await _open(page, homes, "operator", "#/elder/KP-2")
    notice = page.locator("#contacts .no-contacts")
    await expect(notice).to_have_text("此長者沒有聯絡人：警報只能送到值班人員")
    color = await notice.evaluate("n => getComputedStyle(n).color")
    assert color == "rgb(176, 0, 32)"
    await expect(page.locator("#file")).to_contain_text("失能")


async def test_a_viewer_sees_masked_contacts_and_no_activity(page: Page, homes: Homes) -> None:
    await _open(page, homes, "viewer", "#/elder/KP-1")
    contacts = page.locator("#contacts ol.contacts li")
    await expect(contacts).to_have_count(2)
    await expect(contacts.nth(0)).to_contain_text("王*玲")
    await expect(page.locator("#contacts a[href^='tel:']")).to_have_count(0)
    await expect(page.locator("#devices")).to_be_visible()
    await expect(page.locator("#activity")).to_have_count(0)
    assert "13800002222" not in await page.content()


async def test_recording_a_visit_drops_the_elder_from_the_due_list(
    page: Page, homes: Homes
) -> None:
    await _open(page, homes, "town_staff", "#/visits")
    due = page.locator("ul.due > li")
    await expect(page.locator("ul.due li[data-elder='KP-2']")).to_be_visible()
    # Town staff see their own town only.
    await expect(page.locator("ul.due li[data-elder='KP-3']")).to_have_count(0)
    before = await due.count()
    await page.locator("ul.due li[data-elder='KP-2'] button.record").click()
    await expect(page.locator("#visit-elder_id")).to_have_value("KP-2")
    await page.select_option("#visit-method", "in_home")
    await page.fill("#visit-visitor", "")
    await page.click(".visit-form button[type=submit]")
    # The API's 422 names the field; the console shows it next to that field.
    await expect(page.locator("#visit-visitor-error")).not_to_be_empty()
    await expect(page.locator("#visit-visitor")).to_have_attribute("aria-invalid", "true")
    await page.fill("#visit-visitor", "周社工")
    await page.fill("#visit-findings", "精神好，家中整潔")
    await page.click(".visit-form button[type=submit]")
    await expect(page.locator(".status")).to_contain_text("KP-2")
    await expect(page.locator("ul.due li[data-elder='KP-2']")).to_have_count(0)
    await expect(due).to_have_count(before - 1)


async def test_a_refused_visit_needs_its_reason(page: Page, homes: Homes) -> None:
    await _open(page, homes, "admin", "#/visits?elder_id=KP-1")
    await page.check("#visit-refused")
    await page.click(".visit-form button[type=submit]")
    await expect(page.locator("#visit-findings-error")).to_have_text("請填寫拒訪原因")
    await page.fill("#visit-findings", "家屬表示不需要")
    await page.click(".visit-form button[type=submit]")
    await expect(page.locator(".status")).to_contain_text("KP-1")


async def test_the_fleet_lists_devices_needing_attention_by_town_and_a_devices_events(
    page: Page, homes: Homes
) -> None:
    await _open(page, homes, "operator", "#/fleet")
    town = page.locator("section.panel", has_text=CHIKAN)
    await expect(town.locator("li[data-device='door-1']")).to_contain_text("離線")
    await expect(town.locator("li[data-device='sos-1']")).to_contain_text("電量低")
    await expect(page.locator("li[data-device='pir-1']")).to_have_count(0)
    await town.locator("li[data-device='door-1'] a").first.click()
    await expect(page).to_have_url(f"{homes.app.console}#/fleet/device/door-1")
    await expect(page.locator("table.events tbody tr")).to_have_count(2)


async def test_the_monthly_report_shows_the_table_and_downloads_csv_without_the_token_in_a_url(
    page: Page, homes: Homes
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await _open(page, homes, "admin", "#/report")
    await expect(page.locator("table.report tbody tr", has_text=CHIKAN)).to_have_count(1)
    await expect(page.locator("table.report tbody tr.total")).to_have_count(1)
    async with page.expect_download() as download_info:
        await page.click("button.download[data-format='csv']")
    download = await download_info.value
    path = await download.path()
    text = path.read_bytes().decode("utf-8-sig")
    assert "鎮街" in text
    assert CHIKAN in text
    assert download.suggested_filename.endswith(".csv")
    assert not [url for url in requests if homes.tokens["admin"] in url]


@pytest.mark.parametrize(
    "route",
    ["#/elder/KP-1", "#/visits?elder_id=KP-1", "#/fleet", "#/fleet/device/door-1", "#/report"],
)
async def test_each_view_fits_a_360_px_phone_without_horizontal_scroll(
    phone_page: Page, homes: Homes, route: str
) -> None:
    await _open(phone_page, homes, "admin", route)
    await expect(phone_page.locator("main h1").first).to_be_visible()
    await expect(phone_page.locator("main .loading")).to_have_count(0)
    await assert_no_horizontal_scroll(phone_page)
