"""Signing in to the console: a token pasted with spaces, a refused token, a sign-in link's
single-use code, a token revoked mid-session; the console's headers."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import ConsoleApp, sign_in


async def test_a_token_pasted_with_spaces_and_line_breaks_signs_in(
    page: Page, console_app: ConsoleApp
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
