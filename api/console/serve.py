"""Serve the console's files at ``/console/`` with headers that keep the page to its own
origin: no inline script, nothing loaded from elsewhere, no framing, no Referer.

The files are plain ES modules, CSS and a sound, shipped inside the package (``static/``):
no build step, nothing fetched from a CDN, so the console works where there is no internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONSOLE_PATH: Final = "/console"
STATIC_DIR: Final = Path(__file__).parent / "static"

# Everything from this origin only; no inline script or style (an injected name cannot run
# as code), no plugins, no <base> rewriting, no framing (click-jacking of the ack button),
# forms post only here.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; media-src 'self'; font-src 'self'; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Revalidated each load (ETag): a new release is never half old, half new modules.
    "Cache-Control": "no-cache",
}


class ConsoleFiles(StaticFiles):
    """The console's files, each answer with the console's headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def mount_console(app: FastAPI) -> None:
    """``/console/`` (its ``index.html``) and its files; ``/`` and ``/console`` lead there."""

    async def to_console() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PATH}/")

    for path in ("/", CONSOLE_PATH):
        app.add_api_route(path, to_console, methods=["GET"], include_in_schema=False)
    app.mount(CONSOLE_PATH, ConsoleFiles(directory=STATIC_DIR, html=True), name="console")
