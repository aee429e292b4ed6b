"""The alerts board against a live API (no gateway: alerts are opened as the gateway opens
them): its order and contents, resolving in two taps, a token revoked mid-session, the API
going away and coming back without losing a change, and the phone layout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from playwright.async_api import Page, expect

from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from api import alert_stream
from api.app import create_app
from tanfang.settings import Settings
from tests.browser.conftest import ConsoleApp, sign_in
from tests.e2e.alerting_rig import register_home
from tests.rig.ports import free_port
from tests.simulators.api_server import serving_app

API = "/api/v1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG_VILLAGE = "赤坎鎮東南西北中心社區第一百二十三號村民小組很長很長的名字"


async def raise_alert(
    database_url: str, alert_type: AlertType, elder_id: str, device_id: str | None, *, ago_s: float
) -> str:
    """An alert as the gateway opens it, ``ago_s`` seconds ago."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        change = await open_alert(
            conn,
            AlertSignal(alert_type, elder_id, device_id),
            datetime.now(UTC) - timedelta(seconds=ago_s),
        )
    return str(change.alert.id)


async def home(database_url: str, n: int, *, town: str = "赤坎鎮") -> tuple[str, str]:
    elder_id, device_id = f"KP-{n}", f"pat-{n}"
    await register_home(database_url, elder_id, device_id, town=town)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("UPDATE elders SET village = %s WHERE id = %s", (LONG_VILLAGE, elder_id))
    return elder_id, device_id


def board_ready(page: Page) -> str:
    return '.board[data-connection="live"][data-loaded="true"]'


async def admin_post(app: ConsoleApp, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        return await client.post(
            f"{API}{path}", json=body, headers={"Authorization": f"Bearer {app.admin_token}"}
        )


async def test_open_alerts_come_first_by_severity_then_age_each_with_its_elder(
    console_app: ConsoleApp, page: Page
) -> None:
    url = console_app.database_url
    for n in (1, 2, 3, 4):
        await home(url, n)
    late_sos = await raise_alert(url, AlertType.SOS, "KP-1", "pat-1", ago_s=60)
    quiet = await raise_alert(url, AlertType.INACTIVITY, "KP-2", None, ago_s=3600)  # high
    early_sos = await raise_alert(url, AlertType.FALL, "KP-3", "pat-3", ago_s=600)
    acked = await raise_alert(url, AlertType.SOS, "KP-4", "pat-4", ago_s=7200)
    assert (await admin_post(console_app, f"/alerts/{acked}/ack", {"by": "值班員"})).is_success

    await sign_in(page, console_app.console, console_app.admin_token)
    await page.wait_for_selector(board_ready(page))
    ids = await page.eval_on_selector_all(".alert-row", "rows => rows.map(r => r.dataset.alertId)")
    assert ids == [early_sos, late_sos, quiet, acked]
    first = page.locator(f'.alert-row[data-alert-id="{early_sos}"]')
    await expect(first).to_contain_text("王小明")
    await expect(first).to_contain_text(LONG_VILLAGE)
    await expect(first).to_contain_text("跌倒")
    await expect(first).to_contain_text("10分前發生")
    await expect(first).to_contain_text("升級第 0 級")
    assert await first.locator("a.elder").get_attribute("href") == "#/elder/KP-3"
    acked_row = page.locator(f'.alert-row[data-alert-id="{acked}"]')
    await expect(acked_row.locator("button.ack")).to_be_hidden()
    await expect(page.locator("#acked-alerts")).to_contain_text("值班員 已確認")

    await page.select_option("#language", "en")
    await expect(first).to_contain_text("Fall")
    await expect(first).to_contain_text("10 min ago")


@pytest.fixture
def quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream checks its token every half second instead of every 15 s."""
    monkeypatch.setattr(alert_stream, "HEARTBEAT_S", 0.5)


@pytest.mark.usefixtures("quick_heartbeat")
async def test_a_token_revoked_mid_session_returns_to_sign_in_saying_so(
    console_app: ConsoleApp, page: Page
) -> None:
    made = await admin_post(console_app, "/tokens", {"role": "operator", "name": "夜班"})
    assert made.status_code == 201, made.text
    await sign_in(page, console_app.console, made.json()["token"])
    await page.wait_for_selector(board_ready(page))
    async with httpx.AsyncClient(base_url=console_app.url, timeout=10) as client:
        revoked = await client.delete(
            f"{API}/tokens/{made.json()['id']}",
            headers={"Authorization": f"Bearer {console_app.admin_token}"},
        )
    assert revoked.status_code == 204
    await expect(page.locator("#signin-message")).to_contain_text("登入已失效")
    await expect(page.locator("#top")).to_be_hidden()
    assert await page.evaluate("sessionStorage.getItem('tanfang.session')") is None


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as opened:
        yield opened


async def test_with_the_api_down_the_board_says_so_keeps_its_state_greyed_and_resumes(
    page: Page, settings: Settings, database_url: str, admin_token: str, stack: ExitStack
) -> None:
    port = free_port()
    first = stack.enter_context(serving_app(create_app(settings), port=port, graceful_s=1))
    await home(database_url, 1)
    await home(database_url, 2)
    await sign_in(page, f"{first}/console/", admin_token)
    await page.wait_for_selector(board_ready(page))
    before = await raise_alert(database_url, AlertType.SOS, "KP-1", "pat-1", ago_s=5)
    await page.wait_for_selector(f'.alert-row[data-alert-id="{before}"]')

    stack.close()  # the API stops
    await expect(page.locator("#banner")).to_be_visible()
    await expect(page.locator("#banner")).to_contain_text("無法連線")
    await expect(page.locator(".board")).to_have_attribute("data-connection", "lost")
    await expect(page.locator(".view")).to_have_class("view board stale")
    await expect(page.locator(f'.alert-row[data-alert-id="{before}"]')).to_be_visible()
    while_down = await raise_alert(database_url, AlertType.SOS, "KP-2", "pat-2", ago_s=1)

    with serving_app(create_app(settings), port=port, graceful_s=1):
        await expect(page.locator("#banner")).to_be_hidden(timeout=20_000)
        await page.wait_for_selector(board_ready(page), timeout=20_000)
        await page.wait_for_selector(f'.alert-row[data-alert-id="{while_down}"]')
        await expect(page.locator(".view")).not_to_have_class("stale")
        await page.close()


async def test_the_phone_layout_has_no_horizontal_scroll(
    console_app: ConsoleApp, phone_page: Page
) -> None:
    url = console_app.database_url
    await home(url, 1)
    await home(url, 2)
    await raise_alert(url, AlertType.SOS, "KP-1", "pat-1", ago_s=90)
    await raise_alert(url, AlertType.ABNORMAL_TEMPERATURE, "KP-2", None, ago_s=4000)
    await sign_in(phone_page, console_app.console, console_app.admin_token)
    await phone_page.wait_for_selector(board_ready(phone_page))
    await phone_page.click(".alert-row button.resolve")
    await expect(phone_page.locator(".resolve-panel").first).to_be_visible()
    width = await phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


async def test_the_board_works_from_the_keyboard(console_app: ConsoleApp, page: Page) -> None:
    url = console_app.database_url
    await home(url, 1)
    alert_id = await raise_alert(url, AlertType.SOS, "KP-1", "pat-1", ago_s=30)
    await sign_in(page, console_app.console, console_app.admin_token)
    await page.wait_for_selector(board_ready(page))
    row = page.locator(f'.alert-row[data-alert-id="{alert_id}"]')
    for _ in range(30):  # Tab through the page to the row's ack button
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.classList.contains('ack')"):
            break
    else:
        raise AssertionError("the ack button is not reachable with Tab")
    await page.keyboard.press("Enter")
    await expect(row).to_have_attribute("data-status", "acked")
    await row.locator("button.resolve").focus()
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.dataset.outcome") == "false_alarm"
    await page.keyboard.press("Escape")
    await expect(row.locator(".resolve-panel")).to_be_hidden()
    await page.keyboard.press("Enter")  # the focus is back on 結案…
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # 已在家處理
    await expect(row).to_have_count(0)


async def test_a_viewer_sees_the_board_masked_and_without_actions(
    console_app: ConsoleApp, page: Page
) -> None:
    await home(console_app.database_url, 1)
    alert_id = await raise_alert(console_app.database_url, AlertType.SOS, "KP-1", "pat-1", ago_s=5)
    made = await admin_post(console_app, "/tokens", {"role": "viewer", "name": "民政局"})
    assert made.status_code == 201, made.text
    await sign_in(page, console_app.console, made.json()["token"])
    await page.wait_for_selector(board_ready(page))
    row = page.locator(f'.alert-row[data-alert-id="{alert_id}"]')
    await expect(row.locator("a.elder")).to_have_text("王*明")
    await expect(row).not_to_contain_text(LONG_VILLAGE)
    await expect(row.locator("button")).to_have_count(0)


async def test_the_family_says_she_is_away_the_absence_is_declared_and_the_alert_closed(
    console_app: ConsoleApp, page: Page
) -> None:
    url = console_app.database_url
    await home(url, 1)
    await home(url, 2)
    sos = await raise_alert(url, AlertType.SOS, "KP-1", "pat-1", ago_s=30)
    quiet = await raise_alert(url, AlertType.INACTIVITY, "KP-2", None, ago_s=3600)
    made = await admin_post(console_app, "/tokens", {"role": "operator", "name": "李值班"})
    assert made.status_code == 201, made.text
    await sign_in(page, console_app.console, made.json()["token"])
    await page.wait_for_selector(board_ready(page))
    # An emergency is never explained away by an absence: no such button on it.
    await expect(page.locator(f'.alert-row[data-alert-id="{sos}"] button.away')).to_have_count(0)
    row = page.locator(f'.alert-row[data-alert-id="{quiet}"]')
    await row.locator("button.away").click()
    panel = row.locator(".away-panel")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".away-reason")).to_be_focused()
    await expect(panel.locator(".away-reason")).to_have_value("住在子女家")
    back = (
        (datetime.now(UTC) + timedelta(days=2))
        .astimezone(SHANGHAI)
        .replace(hour=12, minute=0, second=0, microsecond=0)
    )
    await panel.locator(".away-until").fill("2020-01-01T08:00")  # in the past: said, not sent
    await panel.locator("button.away-save").click()
    await expect(panel.locator(".field-error")).to_have_text("預計回家時間須在現在之後")
    await expect(panel.locator(".away-until")).to_have_attribute("aria-invalid", "true")
    await panel.locator(".away-until").fill(back.strftime("%Y-%m-%dT%H:%M"))
    await panel.locator("button.away-save").click()
    await expect(row).to_have_count(0)
    async with httpx.AsyncClient(base_url=console_app.url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {console_app.admin_token}"}
        absences = (await client.get(f"{API}/elders/KP-2/absences", headers=headers)).json()
        alert = (await client.get(f"{API}/alerts/{quiet}", headers=headers)).json()
    assert [(a["reason"], datetime.fromisoformat(a["to"])) for a in absences] == [
        ("住在子女家", back)
    ]
    assert (alert["status"], alert["outcome"]) == ("resolved", "other")
    assert "家人告知不在家（住在子女家），已申報外出至" in alert["notes"]
    assert back.strftime("%Y-%m-%d 12:00") in alert["notes"]
