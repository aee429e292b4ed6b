"""Signing in to the console: a token pasted with spaces, a refused token, a sign-in link's
single-use code, a token revoked mid-session; the console's headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.api.conftest import execute
from tests.browser.conftest import ConsoleApp, sign_in


async def test_a_token_pasted_with_spaces_and_line_breaks_signs_in(
    console_app: ConsoleApp, page: Page
) -> None:
    token = console_app.admin_token
    pasted = f"  {token[:10]}\n {token[10:]}  \n"
    await sign_in(page, console_app.console, pasted)
    await expect(page.locator("#top .me")).to_contain_text("admin")
    stored = await page.evaluate("sessionStorage.getItem('tanfang.session')")
    assert token in stored
    assert token not in page.url
    cookies = await page.context.cookies()
    assert cookies == []


async def make_token(app: ConsoleApp, role: str = "operator") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        made = await client.post(
            "/api/v1/tokens",
            json={"role": role, "name": "夜班"},
            headers={"Authorization": f"Bearer {app.admin_token}"},
        )
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


@pytest.mark.parametrize("expired", [False, True], ids=["unknown token", "expired token"])
async def test_a_refused_token_stays_on_sign_in_and_says_why(
    console_app: ConsoleApp, page: Page, expired: bool
) -> None:
    token = "tf_" + "x" * 43
    if expired:
        made = await make_token(console_app)
        token = made["token"]
        await execute(
            console_app.database_url,
            "UPDATE api_tokens SET expires_at = now() - interval '1 s' WHERE id = %s",
            (made["id"],),
        )
    await page.goto(console_app.console)
    await page.fill("#token", token)
    await page.click("form.signin button[type=submit]")
    await expect(page.locator("#signin-message")).to_contain_text("權杖無效、已過期或已被撤銷")
    await expect(page.locator("#top")).to_be_hidden()
    assert await page.evaluate("sessionStorage.getItem('tanfang.session')") is None


async def test_a_sign_in_link_signs_in_once_and_leaves_no_code_in_the_address(
    console_app: ConsoleApp, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=console_app.url, timeout=10) as client:
        made = await client.post(
            "/api/v1/tokens/sign-in-codes",
            json={"role": "operator", "name": "夜班 小李"},
            headers={"Authorization": f"Bearer {console_app.admin_token}"},
        )
    assert made.status_code == 201, made.text
    link = console_app.url + made.json()["path"]
    await page.goto(link)
    await page.wait_for_selector('.board[data-connection="live"]')
    await expect(page.locator("#top .me")).to_contain_text("夜班 小李")
    assert made.json()["code"] not in page.url
    assert await page.evaluate("location.hash") == "#/board"

    second = await page.context.new_page()  # a tab of its own: no session
    await second.goto(link)
    await expect(second.locator("#signin-message")).to_contain_text("登入連結無效、已使用或已過期")
