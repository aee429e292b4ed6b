"""The console in a real browser: Debian's Chromium driven by Playwright (its own browser
download is not used). ``chromium`` is one browser for the session; ``page`` (1280×800) and
``phone_page`` (360×740) are fresh contexts; ``console_app`` is the real API, serving the
console, on a free port against the test's database.

Without Chromium the tests are skipped only when the user is not root: ``make test`` installs
it as root (scripts/ensure-test-services.sh), so in CI they always run."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright

from api.app import create_app
from tanfang.settings import Settings
from tests.simulators.api_server import serving_app

HERE: Final = Path(__file__).parent
DESKTOP: Final = ViewportSize(width=1280, height=800)
PHONE: Final = ViewportSize(width=360, height=740)
# Playwright's waits (each one bounded; no sleeping).
WAIT_MS: Final = 10_000
STREAM_CUT_S: Final = 1


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path() is not None or os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="no chromium (apt-get install chromium, or make test as root)")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@dataclass(frozen=True, slots=True)
class ConsoleApp:
    """A live API serving the console: its base URL and the settings' admin token."""

    url: str
    admin_token: str
    database_url: str

    @property
    def console(self) -> str:
        return f"{self.url}/console/"


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_path()
    assert path is not None, "chromium is missing: apt-get install chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def console_app(settings: Settings, database_url: str, admin_token: str) -> Iterator[ConsoleApp]:
    # Request it before ``page`` (pytest sets fixtures up in argument order and tears them
    # down in reverse), so that the page and its live stream close before the server stops;
    # a stream still open then is cut after a second.
    with serving_app(create_app(settings), graceful_s=STREAM_CUT_S) as url:
        yield ConsoleApp(url, admin_token, database_url)


@asynccontextmanager
async def _fresh_page(chromium: Browser, viewport: ViewportSize) -> AsyncIterator[Page]:
    """A page in a context of its own; the test fails on any uncaught script error or
    Content-Security-Policy refusal the page saw."""
    context = await chromium.new_context(viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    try:
        yield page
    finally:
        await context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
async def page(chromium: Browser) -> AsyncIterator[Page]:
    async with _fresh_page(chromium, DESKTOP) as opened:
        yield opened


@pytest.fixture
async def phone_page(chromium: Browser) -> AsyncIterator[Page]:
    async with _fresh_page(chromium, PHONE) as opened:
        yield opened


async def sign_in(page: Page, console_url: str, token: str) -> None:
    """Sign in through the form, as a person would, and wait for the board."""
    await page.goto(console_url)
    await page.fill("#token", token)
    await page.click("form.signin button[type=submit]")
    await page.wait_for_selector("#top:not([hidden])")
