"""The elder card, visits due, fleet and monthly report views in a real browser, on real data
written through the API (and the device state and events as the gateway writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import ConsoleApp, sign_in
from tests.browser.seed import CHIKAN, seed_homes

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Homes:
    """The rig's homes (tests/browser/seed.py), and tokens of each role to sign in with."""

    app: ConsoleApp
    tokens: dict[str, str]


@pytest.fixture
async def homes(console_app: ConsoleApp) -> Homes:
    app = console_app
    return Homes(app, await seed_homes(app.url, app.admin_token, app.database_url))


async def _open(page: Page, homes: Homes, role: str, route: str) -> None:
    await sign_in(page, homes.app.console, homes.tokens[role])
    await page.goto(f"{homes.app.console}{route}")


def _as_admin(homes: Homes) -> httpx.AsyncClient:
    token = homes.app.admin_token
    return httpx.AsyncClient(base_url=homes.app.url, headers={"Authorization": f"Bearer {token}"})


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


async def test_the_on_call_declares_an_absence_on_the_elder_card_and_withdraws_it(
    page: Page, homes: Homes
) -> None:
    await _open(page, homes, "operator", "#/elder/KP-1")
    box = page.locator("#absences")
    await expect(box).to_contain_text("沒有申報中的外出或住院")
    await box.locator("button.declare").click()
    await page.fill("#absence-reason", "住在子女家")
    # Ending before it starts: the API's 422 is shown on the form.
    await page.fill("#absence-to", "2020-01-01T08:00")
    await page.click(".absence-form button[type=submit]")
    await expect(box.locator(".form-error")).to_contain_text("'to' must be after 'from'")
    back = (datetime.now(SHANGHAI) + timedelta(days=30)).replace(hour=12, minute=0, second=0)
    await page.fill("#absence-to", back.strftime("%Y-%m-%dT%H:%M"))
    await page.click(".absence-form button[type=submit]")
    await expect(box.locator(".status")).to_contain_text(
        f"已申報：住在子女家，至 {back:%Y-%m-%d} 12:00"
    )
    row = box.locator("li.absence.in_force")
    await expect(row).to_contain_text("進行中")
    await expect(row).to_contain_text("住在子女家")
    await expect(box.locator(".absence-form")).to_have_count(0)
    async with _as_admin(homes) as api:
        declared = (await api.get("/api/v1/elders/KP-1/absences")).json()
    assert [(a["reason"], datetime.fromisoformat(a["to"])) for a in declared] == [
        ("住在子女家", back.replace(microsecond=0))
    ]
    await row.locator("button.withdraw").click()
    await expect(box.locator(".status")).to_have_text("已撤銷申報。")
    await expect(box.locator("li.absence")).to_have_count(0)


async def _declare_stay(homes: Homes) -> None:
    stay = {
        "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "reason": "住院",
    }
    async with _as_admin(homes) as api:
        made = await api.post("/api/v1/elders/KP-1/absences", json=stay)
    assert made.status_code == 201


async def test_town_staff_see_an_absence_in_force_and_may_withdraw_it(
    page: Page, homes: Homes
) -> None:
    await _declare_stay(homes)
    await _open(page, homes, "town_staff", "#/elder/KP-1")
    await expect(page.locator("#absences li.absence.in_force")).to_contain_text("住院")
    await expect(page.locator("#absences button.withdraw")).to_be_visible()


async def test_a_viewer_does_not_even_get_the_absences(page: Page, homes: Homes) -> None:
    await _declare_stay(homes)
    await _open(page, homes, "viewer", "#/elder/KP-1")
    await expect(page.locator("#devices")).to_be_visible()
    await expect(page.locator("#absences")).to_have_count(0)
    assert "住院" not in await page.content()


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


async def test_a_visit_saved_again_after_a_lost_answer_is_recorded_once(
    page: Page, homes: Homes
) -> None:
    await _open(page, homes, "town_staff", "#/visits?elder_id=KP-2")
    lost: list[str] = []

    async def lose_the_answer(route: Route) -> None:
        # The visit reaches the API; its answer never reaches the browser.
        await route.fetch()
        lost.append(route.request.url)
        await route.abort("connectionreset")

    await page.route("**/api/v1/visits", lose_the_answer)
    await page.fill("#visit-findings", "精神好")
    await page.click(".visit-form button[type=submit]")
    await expect(page.locator("#banner")).to_be_visible()
    await page.unroute("**/api/v1/visits")
    await page.click(".visit-form button[type=submit]")
    await expect(page.locator(".status")).to_contain_text("KP-2")
    assert len(lost) == 1
    headers = {"Authorization": f"Bearer {homes.app.admin_token}"}
    async with httpx.AsyncClient(base_url=homes.app.url, headers=headers) as client:
        visits = (await client.get("/api/v1/elders/KP-2/visits")).json()["items"]
    assert len(visits) == 1


async def test_a_visit_is_recorded_with_the_keyboard_alone(page: Page, homes: Homes) -> None:
    await _open(page, homes, "town_staff", "#/visits")
    await page.locator("ul.due li[data-elder='KP-2'] button.record").focus()
    await page.keyboard.press("Enter")
    focused = await page.evaluate("document.activeElement.closest('.visit-form') !== null")
    assert focused, "the form's first field takes the focus"
    await page.locator("#visit-findings").focus()
    await page.keyboard.type("家中整潔")
    await page.locator("#visit-visitor").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".status")).to_contain_text("KP-2")


async def test_the_views_switch_to_english_and_simplified_chinese(page: Page, homes: Homes) -> None:
    await _open(page, homes, "operator", "#/elder/KP-2")
    await expect(page.locator("#contacts .no-contacts")).to_contain_text("此長者沒有聯絡人")
    await page.select_option("#language", "en")
    await expect(page.locator("#contacts .no-contacts")).to_have_text(
        "This elder has no contacts: an alert can only go to the on-call staff"
    )
    await page.select_option("#language", "zh-Hans")
    await expect(page.locator("#contacts .no-contacts")).to_contain_text("此长者没有联系人")
    await page.goto(f"{homes.app.console}#/fleet")
    await expect(page.locator("main h1")).to_have_text("需要处理的设备")


async def test_the_due_list_reloads_by_itself_when_the_api_is_back(
    page: Page, homes: Homes
) -> None:
    await sign_in(page, homes.app.console, homes.tokens["town_staff"])
    await page.route("**/api/v1/visits/due*", lambda route: route.abort("connectionrefused"))
    await page.goto(f"{homes.app.console}#/visits")
    await expect(page.locator(".due-list .notice.error")).to_be_visible()
    await expect(page.locator("#banner")).to_be_visible()
    await page.unroute("**/api/v1/visits/due*")
    await expect(page.locator("ul.due li[data-elder='KP-2']")).to_be_visible()
    await expect(page.locator("#banner")).to_be_hidden()
