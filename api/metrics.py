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
            route = scope.get("route")
            template = getattr(route, "path", None) if isinstance(route, BaseRoute) else None
            label = template or "unmatched"
            REQUESTS.labels(scope["method"], label, str(status)).inc()
            LATENCY.labels(scope["method"], label).observe(time.perf_counter() - started)
