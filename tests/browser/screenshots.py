"""Screenshots of the console for docs/console.md, taken in Debian's Chromium against the
test rig (a PostgreSQL and Mosquitto of its own, or those TANFANG_TEST_DATABASE_URL /
TANFANG_TEST_MQTT_URL name) with the browser tests' homes (tests/browser/seed.py).

    .venv/bin/python -m tests.browser.screenshots [--out docs/img]

Writes console-board.png and console-elder.png (1280×800) and console-phone.png (the elder
card at 360×740, the whole page)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from pathlib import Path
from typing import Final

from playwright.async_api import Page, async_playwright

from api.app import create_app
from store.migrate import migrate_url
from tanfang.settings import Settings
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, chromium_path
from tests.browser.seed import seed_homes
from tests.rig.services import running_services
from tests.simulators.api_server import serving_app

OUT: Final = Path(__file__).resolve().parents[2] / "docs" / "img"


async def _signed_in(page: Page, console: str, token: str, route: str) -> None:
    await page.goto(console)
    await page.fill("#token", token)
    await page.click("form.signin button[type=submit]")
    await page.wait_for_selector("#top:not([hidden])")
    await page.goto(f"{console}{route}")
    await page.wait_for_selector("main h1")
    await page.wait_for_selector("main .loading", state="detached")


async def _shoot(api_url: str, token: str, out: Path) -> list[Path]:
    console = f"{api_url}/console/"
    shots = [
        ("console-board.png", DESKTOP, "#/board", "main[data-loaded='true']", False),
        ("console-elder.png", DESKTOP, "#/elder/KP-1", "#activity svg", True),
        ("console-phone.png", PHONE, "#/elder/KP-1", "#activity svg", True),
    ]
    written = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        for name, viewport, route, ready, full in shots:
            context = await browser.new_context(viewport=viewport)
            context.set_default_timeout(WAIT_MS)
            page = await context.new_page()
            await _signed_in(page, console, token, route)
            await page.wait_for_selector(ready)
            await page.screenshot(path=out / name, full_page=full)
            written.append(out / name)
            await context.close()
        await browser.close()
    return written


async def _take(database_url: str, mqtt_url: str, out: Path) -> list[Path]:
    await migrate_url(database_url)
    token = secrets.token_urlsafe(24)
    settings = Settings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        admin_token=token,
        _env_file=None,  # type: ignore[call-arg]
    )
    with serving_app(create_app(settings)) as url:
        await seed_homes(url, token, database_url)
        return await _shoot(url, token, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNGs")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with running_services() as services:
        url = services.create_database()
        try:
            for path in asyncio.run(_take(url, services.mqtt_url, out)):
                print(path)
        finally:
            services.drop_database(url)


if __name__ == "__main__":
    main()
