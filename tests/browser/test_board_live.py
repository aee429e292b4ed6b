"""The issue's browser test (issue 14): a real ``tanfang serve`` (gateway, API, console) on
the test database and broker, delivering to a real webhook receiver. An SOS published over
MQTT appears on the board within 2 s without reload (measured and printed); acknowledging
it in the browser stops the webhook's escalation; town staff of another town never see it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, sign_in
from tests.e2e.alerting_rig import NOBODYS_TOWN, STEP_AFTER_S, AlertRig, of_alert, staffed_rig
from tests.e2e.test_alerting_e2e import epoch, next_due, quiet_until
from tests.rig.services import Services

API = "/api/v1"
# The issue: a new alert is on the board within 2 s of the button press.
SHOWN_WITHIN_S = 2.0
# How late a step may run past its due time on a busy test machine.
STEP_SLACK_S = 1.5


@pytest.fixture(scope="module")
async def rig(
    services: Services, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AlertRig]:
    """One ``tanfang serve`` (it serves the console too) and one webhook receiver for the
    module's tests, each test with homes of its own."""
    workdir = tmp_path_factory.mktemp("console-e2e")
    async with staffed_rig(services, migrated_template, workdir) as found:
        yield found


def admin(rig: AlertRig) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {rig.admin_token}"}
    return httpx.AsyncClient(base_url=rig.base, headers=headers, timeout=10)


def row_of(page: Page, device: str) -> str:
    return f'.alert-row[data-device-id="{device}"]'


async def live_board(page: Page, rig: AlertRig, token: str) -> None:
    await sign_in(page, f"{rig.base}/console/", token)
    await page.wait_for_selector('.board[data-connection="live"][data-loaded="true"]')


async def test_an_sos_over_mqtt_is_on_the_board_within_2_s_and_its_ack_stops_the_escalation(
    rig: AlertRig, page: Page
) -> None:
    await live_board(page, rig, rig.admin_token)
    device = await rig.new_home()
    pressed = time.monotonic()
    rig.press(device)
    row = await page.wait_for_selector(row_of(page, device), timeout=SHOWN_WITHIN_S * 1000)
    shown_s = time.monotonic() - pressed
    print(f"\nconsole: SOS published → on the board in {shown_s * 1000:.0f} ms")
    assert row is not None
    assert shown_s <= SHOWN_WITHIN_S
    await expect(page.locator(row_of(page, device))).to_have_attribute("data-status", "open")
    await expect(page.locator(row_of(page, device))).to_contain_text("王小明")
    assert (await page.title()).startswith("‼")
    assert int(await page.get_attribute(".board", "data-alarms") or 0) >= 1

    await page.click(f"{row_of(page, device)} button.ack")
    await expect(page.locator(row_of(page, device))).to_have_attribute("data-status", "acked")
    alert_id = await page.get_attribute(row_of(page, device), "data-alert-id")
    assert alert_id is not None
    async with admin(rig) as api:
        acked = (await api.get(f"{API}/alerts/{alert_id}")).json()
    assert acked["status"] == "acked"
    # No step of the escalation after the ack: the receiver hears nothing more of the
    # alert until the step that was due next has passed.
    due = next_due(epoch(acked["opened_at"]), epoch(acked["acked_at"]))
    await quiet_until(rig, alert_id, due + STEP_SLACK_S)
    assert epoch(acked["acked_at"]) - epoch(acked["opened_at"]) < STEP_AFTER_S[-1]
    assert len([r for r in rig.rx.requests if of_alert(alert_id)(r)]) >= 1

    # Resolve in two taps: the resolve button, then the outcome (notes typed between).
    await page.click(f"{row_of(page, device)} button.resolve")
    await page.fill(f"{row_of(page, device)} textarea.notes", "按錯了，已電話確認平安")
    await page.click(f'{row_of(page, device)} button.outcome[data-outcome="false_alarm"]')
    await expect(page.locator(row_of(page, device))).to_have_count(0)
    async with admin(rig) as api:
        resolved = (await api.get(f"{API}/alerts/{alert_id}")).json()
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "false_alarm")
    assert resolved["notes"] == "按錯了，已電話確認平安"


async def test_town_staff_of_another_town_do_not_see_the_sos(
    rig: AlertRig, page: Page, chromium: Browser
) -> None:
    async with admin(rig) as api:
        made = await api.post(
            f"{API}/tokens", json={"role": "town_staff", "town": NOBODYS_TOWN, "name": "月山"}
        )
    assert made.status_code == 201, made.text
    context = await chromium.new_context(viewport=DESKTOP)
    try:
        other = await context.new_page()
        await live_board(other, rig, made.json()["token"])
        await live_board(page, rig, rig.admin_token)
        theirs = await rig.new_home()  # 赤坎鎮
        own = await rig.new_home(town=NOBODYS_TOWN)
        rig.press(theirs)
        rig.press(own)
        # The stream is in order: once their own town's SOS is on their board, the other
        # town's, pressed before it, would be too.
        await other.wait_for_selector(row_of(other, own))
        await page.wait_for_selector(row_of(page, theirs))
        assert await other.query_selector(row_of(other, theirs)) is None
        await expect(other.locator(".alert-row")).to_have_count(1)
    finally:
        await context.close()
