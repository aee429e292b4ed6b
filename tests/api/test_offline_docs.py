"""/docs and /redoc load every asset from the API itself: no CDN (a service centre without
internet would see a blank page). The browser check is tests/browser/test_docs_offline.py."""

from __future__ import annotations

import re

import httpx
import pytest

from api.offline_docs import ASSETS, ASSETS_DIR

# Every URL an HTML page names: src=, href=, and the string URLs of the inline set-up script.
_URLS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|Url)\s*:\s*["']([^"']+)["']""")


def _urls(html: str) -> list[str]:
    return [a or b for a, b in _URLS.findall(html)]


def test_every_asset_the_pages_load_ships_with_the_package() -> None:
    for name in ASSETS:
        assert (ASSETS_DIR / name).stat().st_size > 0, name


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_reference_only_same_origin_urls(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    urls = _urls(response.text)
    assert urls, "the page names no asset: the pattern no longer matches FastAPI's HTML"
    assert [u for u in urls if not u.startswith("/")] == []
    assert "cdn" not in response.text.lower()
    assert "fonts.googleapis" not in response.text


async def test_docs_assets_are_served_by_the_api(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    for url in _urls(html):
        if url.startswith("/docs-assets/"):
            response = await client.get(url)
            assert response.status_code == 200, url
            assert len(response.content) > 0
    script = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
