"""Request counters and latency of the API, in the prometheus_client default registry
(where the gateway registers its own counters too)."""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Registered once per process: the registry refuses a second metric of the same name.
REQUESTS: Final = Counter(
    "tanfang_api_requests",
    "HTTP requests answered by the API, by route template and status code",
    ["method", "route", "status"],
)
LATENCY: Final = Histogram(
    "tanfang_api_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_template(scope: Scope) -> str:
    """The matched route's full path template (``/api/v1/elders/{elder_id}``), never the raw
    path with its ids; ``unmatched`` when no route matched."""
    route = scope.get("route")
    template = getattr(route, "path", None) if isinstance(route, BaseRoute) else None
    if not isinstance(template, str) or not template:
        return "unmatched"
    # FastAPI hands over the included route itself, whose path lacks the include prefix:
    # the prefix is what the request path holds before the template's own segments.
    parts = str(scope.get("path", "")).rstrip("/").split("/")
    depth = template.count("/")
    return "/".join(parts[: max(len(parts) - depth, 0)]) + template


class MetricsMiddleware:
    """Counts every HTTP request by its route template, so ids never become label values."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            label = route_template(scope)
            REQUESTS.labels(scope["method"], label, str(status)).inc()
            LATENCY.labels(scope["method"], label).observe(time.perf_counter() - started)
