"""A small synchronous client of the HTTP API (contract §2), as the simulator and the
importer speak it: errors that stop a whole run become ``ApiError``s with one clear line;
a refused record is a response for the caller to count."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import httpx

API_PREFIX: Final = "/api/v1"
# One request of an import touches one record; a minute means the API is stuck, not busy.
REQUEST_TIMEOUT_S: Final = 60.0
# A refused field name is cut here: it is echoed into logs and summaries.
MAX_FIELD_NAME: Final = 80


class ApiError(RuntimeError):
    """The API cannot be used at all (unreachable, or our token refused): the run stops."""


class ApiUnreachableError(ApiError):
    """No answer from the API's address."""


class ApiTokenError(ApiError):
    """401 or 403: the token is wrong or may not do this."""


def api_base(url: str) -> str:
    """``http://host:8000`` or ``http://host:8000/api/v1`` → the latter."""
    base = url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


def path_of(*parts: str) -> str:
    """A path from segments, each quoted: ids come from files we do not control."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


class ApiClient:
    """One keep-alive connection to the API with the bearer token; use as a context manager."""

    def __init__(
        self, api_url: str, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base = api_base(api_url)
        self._http = httpx.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_S,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str | int] | None = None,
    ) -> httpx.Response:
        """The API's answer; raises ``ApiError`` when the run cannot go on."""
        try:
            response = self._http.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise ApiUnreachableError(
                f"cannot reach the API at {self.base} ({type(exc).__name__}); "
                "is it running? check --api-url (or TANFANG_API_HOST, TANFANG_API_PORT)"
            ) from exc
        if response.status_code in (401, 403):
            what = "wrong or missing" if response.status_code == 401 else "not allowed to do this"
            raise ApiTokenError(
                f"the API at {self.base} refused the token (HTTP {response.status_code}: {what});"
                " give an admin token with --token (or TANFANG_ADMIN_TOKEN)"
            )
        return response


def refused_fields(response: httpx.Response) -> list[str]:
    """The names of the fields a 422 refused (``detail[].loc``), and nothing else of the
    body: its messages and echoed input can hold an elder's name or phone number, and what
    we make of it ends up in logs and summaries."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return []
    names: list[str] = []
    for item in detail if isinstance(detail, list) else []:
        loc = item.get("loc") if isinstance(item, dict) else None
        if isinstance(loc, list):
            parts = [str(p) for p in loc if isinstance(p, str | int) and not isinstance(p, bool)]
            if parts and parts[0] == "body":
                parts = parts[1:]
            name = ".".join(parts)[:MAX_FIELD_NAME]
            if name and name not in names:
                names.append(name)
    return names
