"""The API's documentation pages work without internet: every request that leaves the
server is refused, and Swagger UI and ReDoc still render the operations."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Route, expect

from tests.browser.conftest import WAIT_MS, ConsoleApp

REDOC_RENDER_MS: Final = 3 * WAIT_MS


async def _offline(page: Page, app: ConsoleApp) -> list[str]:
    """Abort every request to another origin than the API's; the list collects them."""
    own = urlsplit(app.url).netloc
    elsewhere: list[str] = []

    async def only_own(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_own)
    return elsewhere


async def test_swagger_ui_renders_the_operations_with_the_internet_cut_off(
    page: Page, console_app: ConsoleApp
) -> None:
    elsewhere = await _offline(page, console_app)
    await page.goto(f"{console_app.url}/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    assert await page.locator(".opblock").count() > 50
    fleet = re.compile(r"^/api/v1/fleet$")  # not /api/v1/fleet/unbound
    await expect(page.locator(".opblock-summary-path", has_text=fleet)).to_have_count(1)
    assert elsewhere == []


async def test_redoc_renders_the_reference_with_the_internet_cut_off(
    chromium: Browser, console_app: ConsoleApp
) -> None:
    # Not the ``page`` fixture, which fails on any CSP refusal: /redoc's policy refuses, by
    # design, the logo ReDoc's bundle asks of its maker's CDN (api/offline_docs.py).
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        elsewhere = await _offline(page, console_app)
        await page.goto(f"{console_app.url}/redoc")
        # ReDoc lays out the whole reference before it shows any: seconds on a busy machine.
        title = page.locator("h1", has_text="Tanfang").first
        await expect(title).to_be_visible(timeout=REDOC_RENDER_MS)
        path = page.get_by_text("/api/v1/elders/{elder_id}/activity").first
        await expect(path).to_be_attached(timeout=REDOC_RENDER_MS)
        assert elsewhere == []
        assert all("logo-mini.svg" in message for message in refused), refused
    finally:
        await context.close()
