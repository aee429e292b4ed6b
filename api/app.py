"""The FastAPI application: ``create_app`` is the composition root's one entry point."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Final

from fastapi import FastAPI

from api import errors, offline_docs
from api.config import ApiConfig, ConfigError
from api.console import mount_console
from api.health import BrokerProbe, HealthSource
from api.limits import BodyLimitMiddleware
from api.metrics import MetricsMiddleware
from api.routes import (
    absences,
    ack_page,
    activity,
    alert_stream,
    alerts,
    compliance,
    contacts,
    coverage,
    dead_letters,
    devices,
    elder_history,
    elders,
    escalation,
    fleet,
    ingest,
    on_call,
    ops,
    reports,
    sign_in,
    tokens,
    towns,
    visits,
    watch_periods,
)
from api.state import AppState
from api.stream_hub import StreamHub
from devices.http_ingest import HttpIngestor
from devices.replay import DeadLetterReplayer
from store.migrate import migrate_url
from store.pool import Pool, open_pool

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"

_TAGS: Final = [
    {"name": "elders", "description": "The one-person-one-file record (一人一檔)."},
    {"name": "devices", "description": "The fleet, and each device's stored events."},
    {"name": "dead letters", "description": "Messages the gateway refused, with the reason."},
    {"name": "tokens", "description": "API tokens and their roles (admin only)."},
    {"name": "operations", "description": "Health and metrics, without authentication."},
    {"name": "contacts", "description": "Emergency contacts (緊急聯系人) in the plan's order."},
    {
        "name": "absences",
        "description": "Declared absences: no activity-based alert while one is in force.",
    },
    {"name": "visits", "description": "Visit records, compliance and the due list."},
    {"name": "watch periods", "description": "Heightened watch (加密探訪)."},
    {"name": "reports", "description": "The monthly statistics table (探訪關愛服務情況統計表)."},
    {"name": "towns", "description": "The registry of towns, their aliases and duty contacts."},
    {"name": "alerts", "description": "Alerts, their timeline, acknowledgement and outcome."},
    {"name": "escalation", "description": "Whom an alert reaches, and when, per severity."},
    {"name": "on-call", "description": "The on-call roster: who is on duty when, for which towns."},
    {"name": "ack links", "description": "The page of a notification's ack_url (no token)."},
    {"name": "ingest", "description": "Vendor platforms posting events (signed, no token)."},
]


# Answers every /api/v1 route may give, for the OpenAPI document.
_COMMON_RESPONSES: Final[dict[int | str, dict[str, object]]] = {
    401: {"description": "missing, unknown or revoked bearer token"},
    403: {"description": "the token's role may not do this (or another town's elder)"},
    503: {"description": "the database is unavailable"},
}


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: ApiConfig,
    *,
    pool: Pool | None = None,
    health: HealthSource | None = None,
    clock: Callable[[], datetime] = _now,
    replayer: Callable[[Pool], DeadLetterReplayer] | None = None,
    ingestor: Callable[[Pool], HttpIngestor] | None = None,
    stopping: asyncio.Event | None = None,
) -> FastAPI:
    """The API. Without ``pool``, the lifespan migrates ``settings.database_url`` and opens
    (and at the end closes) a pool of its own; a given pool is used as it is and left open.
    ``health`` reports the broker connection of a gateway in the same process; without it,
    ``/healthz`` checks the broker of ``settings.mqtt_url`` itself. ``replayer`` makes the
    dead-letter replayer on the app's pool (the composition root builds it on the gateway's
    write path, which the API may not import); without it, a replay answers 503.
    ``ingestor`` likewise makes the HTTP ingest of vendor platforms (without it: 503).
    ``stopping``, set when the server is asked to stop, ends the live alert streams (a
    server waits for open responses to end before it stops)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            opened = pool
            if opened is None:
                opened = await stack.enter_async_context(_own_pool(settings))
            hub = None
            if settings.database_url:
                hub = StreamHub(opened, settings.database_url)
                await stack.enter_async_context(hub.running(stopping))
            app.state.tanfang = AppState(
                settings=settings,
                pool=opened,
                health=health,
                probe=BrokerProbe(settings.mqtt_url),
                clock=clock,
                replayer=None if replayer is None else replayer(opened),
                ingestor=None if ingestor is None else ingestor(opened),
                hub=hub,
            )
            yield

    app = FastAPI(
        title="Tanfang",
        summary="Sensors and Ping An Tong buttons watching over elders who live alone.",
        version="0.1.0",
        openapi_tags=_TAGS,
        lifespan=lifespan,
        # /docs and /redoc are served without a CDN (api/offline_docs.py).
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    offline_docs.install(app)
    app.add_middleware(MetricsMiddleware)
    # Outermost: a body over the limit is refused before any other part reads it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.include_router(ops.router)
    # The ack links' pages: at the root and without a bearer token, like ops.
    app.include_router(ack_page.router)
    # Vendor platforms sign their bodies instead of sending a bearer token.
    app.include_router(ingest.router, prefix=API_PREFIX)
    care = (
        elder_history,
        activity,
        contacts,
        absences,
        visits,
        compliance,
        watch_periods,
        reports,
    )
    # coverage and alert_stream before alerts: /alerts/coverage and /alerts/stream are not
    # alert ids.
    alerting = (coverage, alert_stream, alerts, escalation, on_call)
    for module in (elders, devices, fleet, dead_letters, sign_in, tokens, towns, *care, *alerting):
        app.include_router(module.router, prefix=API_PREFIX, responses=_COMMON_RESPONSES)
    mount_console(app)
    return app


@asynccontextmanager
async def _own_pool(settings: ApiConfig) -> AsyncIterator[Pool]:
    url = settings.database_url
    if not url:
        raise ConfigError("TANFANG_DATABASE_URL is required to run the API")
    applied = await migrate_url(url)
    if applied:
        log.info("api start: applied migrations %s", applied)
    async with open_pool(url, max_size=settings.database_pool_max) as opened:
        yield opened
