"""The console's files as the API serves them: at ``/console/``, every answer with the
Content-Security-Policy that keeps the page to its own origin, and nothing that would load
from elsewhere (the console works where there is no internet)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from api.console.serve import CONTENT_SECURITY_POLICY, STATIC_DIR

FILES = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file())
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


@pytest.mark.parametrize("path", ["/console/", *(f"/console/{name}" for name in FILES)])
async def test_every_console_file_is_served_with_the_console_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    suffix = Path(path).suffix or ".html"
    assert answer.headers["content-type"].startswith(CONTENT_TYPES[suffix])


def test_the_policy_allows_no_inline_script_and_nothing_from_elsewhere() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/console"])
async def test_the_root_and_the_bare_path_lead_to_the_console(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/console/"


async def test_a_missing_console_file_is_a_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/js/views/nothing.js")).status_code == 404


# XML namespace names look like URLs but are never fetched (createElementNS).
NAMESPACES = ("http://www.w3.org/2000/svg",)


def test_no_console_file_loads_anything_from_another_origin() -> None:
    for name in FILES:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        for namespace in NAMESPACES:
            text = text.replace(f'"{namespace}"', '""')
        assert not re.search(r"https?://|//cdn|@import", text), name


def test_every_file_the_page_names_is_shipped() -> None:
    index = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    named = re.findall(r'(?:href|src)="([^":]+)"', index)
    assert named
    assert all(name in FILES for name in named), named
    scripts = [name for name in FILES if name.endswith(".js")]
    for name in scripts:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        for imported in re.findall(r'from "(\.[^"]+)"', text):
            target = (Path(name).parent / imported).as_posix()
            assert Path(STATIC_DIR / target).resolve().is_file(), f"{name} imports {imported}"
