"""``/ack/{token}``: the link in a notification (contract §2 "Notifications"). No bearer
token: the signed token names one alert and one recipient and is the capability.

``GET`` only shows the alert and a button: link previews and mail scanners open links
without a person, so a GET never changes anything. The button's ``POST`` acknowledges.
Mounted at the root, like ``/healthz``: the people who open it hold no API token.
"""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from alerting import ack_services
from alerting.ack_links import AckClaim, read_token
from alerting.secrets_repo import ack_link_key
from api import ack_html
from api.state import AppState, StateDep
from store.db import Conn

router = APIRouter(tags=["ack links"])

TokenPath = Annotated[str, Path(description="The token of the notification's ack_url")]
_PAGES: Final[dict[int | str, dict[str, object]]] = {
    200: {"content": {"text/html": {}}, "description": "the page"},
    403: {"content": {"text/html": {}}, "description": "an invalid link (連結無效)"},
}
# Fetch metadata a browser sends with the form's own POST; anything else came from
# another site's page.
_OWN_FETCH_SITES: Final = frozenset({"same-origin", "none"})


@router.get("/ack/{token}", response_class=HTMLResponse, responses=_PAGES)
async def ack_page(token: TokenPath, state: StateDep) -> HTMLResponse:
    """The alert of the link and a confirm button; changes nothing. Invalid link: 403."""
    async with state.connection() as conn:
        claim = await _claim(conn, token)
        if claim is None:
            return ack_html.invalid_page()
        view = await ack_services.link_view(conn, claim, state.clock())
    return ack_html.view_page(view, state.settings.tz)


@router.post("/ack/{token}", response_class=HTMLResponse, responses=_PAGES)
async def ack(token: TokenPath, request: Request, state: StateDep) -> HTMLResponse:
    """Acknowledge the alert as the link's recipient (an acked or resolved alert: a page
    saying so, 200). Invalid link, or a POST from another site's page: 403."""
    if _from_elsewhere(request, state):
        return ack_html.invalid_page("請在確認頁面上按下按鈕。")
    async with state.connection() as conn:
        claim = await _claim(conn, token)
        if claim is None:
            return ack_html.invalid_page()
        now = state.clock()
        outcome = await ack_services.ack_by_link(conn, claim, now)
        view = await ack_services.link_view(conn, claim, now)
    return ack_html.outcome_page(outcome, view, state.settings.tz)


async def _claim(conn: Conn, token: str) -> AckClaim | None:
    return read_token(await ack_link_key(conn), token)


def _from_elsewhere(request: Request, state: AppState) -> bool:
    """A POST another site's page made: its ``Sec-Fetch-Site`` says so, or its ``Origin``
    is neither this page's nor the public URL's. ``Origin: null`` is what browsers send
    for the page's own form under ``Referrer-Policy: no-referrer``; no Origin at all is a
    client that is not a browser (the token is the capability either way)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in _OWN_FETCH_SITES:
        return True
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    origin = origin.lower()
    own = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if state.settings.public_url:
        public = urlsplit(state.settings.public_url)
        own.add(f"{public.scheme}://{public.netloc}".lower())
    # Behind a TLS-terminating proxy the app sees http:// where the browser saw https://.
    host = request.headers.get("host", "").lower()
    return origin not in own and urlsplit(origin).netloc != host
