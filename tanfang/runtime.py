"""Running the gateway and the API, alone or together, until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import uvicorn

from alerting.outage_watch import watch_gateways
from api.health import HealthSource
from store.loop_thread import run_in_thread
from store.migrate import migrate_url
from store.pool import Pool, open_pool
from tanfang.detect_launch import run_detection
from tanfang.settings import Settings, SettingsError

if TYPE_CHECKING:
    from alerting.channels import Channel
    from devices.http_ingest import HttpIngestor
    from devices.replay import DeadLetterReplayer
    from devices.schema import Event
    from gateway.service import Gateway
    from gateway.steps import InTransactionStep
    from store.db import Conn

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn, minus its own signal handling: the process's stop event rules."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve_api(
    settings: Settings,
    stop: asyncio.Event,
    *,
    pool: Pool | None = None,
    health: HealthSource | None = None,
    started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve the HTTP API on settings.api_host:api_port until ``stop`` is set."""
    from api.app import create_app

    app = create_app(
        settings,
        pool=pool,
        health=health,
        replayer=lambda opened: build_replayer(settings, opened),
        ingestor=lambda opened: build_ingestor(settings, opened),
        stopping=stop,
    )
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(), name="api-server")
    stopping = asyncio.create_task(stop.wait(), name="api-stop")
    while not server.started and not serving.done():
        await asyncio.wait({serving, stopping}, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            break
    if server.started and started is not None:
        await started()
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await serving
    if not stop.is_set() and not server.started:
        raise RuntimeError(f"the API could not listen on {settings.api_host}:{settings.api_port}")


async def run(
    settings: Settings,
    *,
    gateway: bool,
    api: bool,
    stop: asyncio.Event,
    api_started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run the parts asked for side by side on one connection pool; when one ends with an
    error, stop them all."""
    if not settings.database_url:
        raise SettingsError("TANFANG_DATABASE_URL is not set")
    await migrate_url(settings.database_url)
    async with open_pool(settings.database_url, max_size=settings.database_pool_max) as pool:
        gw = build_gateway(settings, pool) if gateway else None
        async with asyncio.TaskGroup() as group:
            if gw is not None:
                group.create_task(_until_stopped(gw.run(stop), stop), name="gateway")
                group.create_task(
                    _until_stopped(_prompts(settings, pool, gw, stop), stop), name="prompts"
                )
                group.create_task(
                    _until_stopped(_visit_overdue(settings, pool, stop), stop),
                    name="visit-overdue",
                )
            if gw is not None and settings.detect:
                # A process of its own: a sweep of every home or a new leader's rebuild never
                # holds the interpreter that ingests.
                group.create_task(
                    _until_stopped(run_detection(settings, stop), stop), name="detection"
                )
            if settings.escalator:
                # On a loop and a thread of its own: its steps and deliveries never wait
                # for the turn of the loop that reads MQTT and writes batches.
                escalating = run_in_thread(
                    "escalator", lambda own_stop: run_escalator(settings, own_stop), stop
                )
                group.create_task(_until_stopped(escalating, stop), name="escalator")
            if api and gw is None:
                # No gateway here to sweep: this live process still tells a gateway outage.
                group.create_task(
                    _until_stopped(watch_gateways(pool, stop), stop), name="outage-watch"
                )
            if api:
                serving = serve_api(settings, stop, pool=pool, health=gw, started=api_started)
                group.create_task(_until_stopped(serving, stop), name="api")


def public_base(settings: Settings) -> str:
    """Where people reach the API (the ack links' base): ``TANFANG_PUBLIC_URL``, else the
    API's own address."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.api_host
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return f"http://{host}:{settings.api_port}"


def build_channels(settings: Settings) -> list[Channel]:
    """The notification channels the settings name: the webhook (every notification), then
    the apprise URLs of TANFANG_NOTIFY_URLS (each recipient's fallback chain, in order)."""
    from alerting.webhook import WebhookChannel

    channels: list[Channel] = []
    if settings.webhook_url:
        channels.append(
            WebhookChannel(
                settings.webhook_url,
                settings.webhook_secret,
                concurrency=settings.webhook_concurrency,
            )
        )
    if settings.notify_urls:
        # Imported only when used: apprise loads its plugins on import.
        from alerting.apprise_channel import apprise_channels

        channels.extend(apprise_channels(settings.notify_urls, settings.tz))
    return channels


# The escalator's own connections: it never waits for one behind ingest's writers or the
# API's requests, and never takes theirs (a backlog of deliveries once starved both).
ESCALATOR_POOL_MAX: Final = 4


async def run_escalator(settings: Settings, stop: asyncio.Event) -> None:
    """Escalation steps and notifications until ``stop``: in every process that has it on
    (``TANFANG_ESCALATOR``), side by side with the others on the same database, on a pool
    of its own."""
    from alerting import ack_links, secrets_repo
    from alerting.escalator import Escalator

    assert settings.database_url is not None
    async with open_pool(settings.database_url, max_size=ESCALATOR_POOL_MAX) as pool:
        async with pool.connection() as conn:
            key = await secrets_repo.ack_link_key(conn)
        base = public_base(settings)

        def ack_urls(alert_id: int, recipient_key: str) -> str:
            return ack_links.ack_url(base, ack_links.make_token(key, alert_id, recipient_key))

        escalator = Escalator(
            pool,
            settings.database_url,
            build_channels(settings),
            instance=f"{socket.gethostname()}:{os.getpid()}:{settings.mqtt_client_id}",
            ack_urls=ack_urls,
            concurrency=settings.webhook_concurrency,
        )
        await escalator.run(stop)


def build_gateway(settings: Settings, pool: Pool) -> Gateway:
    """The gateway as ``tanfang gateway``, ``tanfang serve`` and ``python -m gateway`` run it.

    Check-ins become online visits, and critical events (sos, fall, smoke, gas) open their
    alerts, inside each batch's transaction. There are no post-commit sinks yet: detectors,
    which must not hold the transaction, go there. The foreign sources of
    ``TANFANG_ADAPTERS`` are read too."""
    from alerting.storms import StormRule
    from devices.adapters.registry import enabled
    from gateway.device_health import BatteryRule
    from gateway.service import Gateway

    return Gateway(
        settings,
        pool,
        steps=[critical_alert_step(settings), checkin_visit_step(settings)],
        battery=BatteryRule(settings.battery_low_percent, settings.battery_ok_percent),
        storm=StormRule(settings.storm_devices, settings.storm_window_s),
        adapters=enabled(settings.adapter_kinds),
        adapter_settings=settings.adapter_settings,
    )


def build_replayer(settings: Settings, pool: Pool) -> DeadLetterReplayer:
    """Dead-letter replay for the API, on the gateway's decoder and write path with the same
    in-transaction steps as ``build_gateway`` (a replayed check-in becomes an online visit).
    It needs no MQTT session, so ``tanfang api`` alone can replay."""
    from gateway.replay import GatewayReplay

    return GatewayReplay(
        pool,
        settings.topic_root,
        steps=[checkin_visit_step(settings)],
        adapter_settings=settings.adapter_settings,
    )


def build_ingestor(settings: Settings, pool: Pool) -> HttpIngestor:
    """HTTP ingest of vendor platforms for the API, on the gateway's decoder and write path
    with the same in-transaction steps as ``build_gateway`` (an SOS opens its alert in the
    transaction that stores it)."""
    from gateway.http_ingest import GatewayHttpIngest

    return GatewayHttpIngest(
        pool, steps=[critical_alert_step(settings), checkin_visit_step(settings)]
    )


def checkin_visit_step(settings: Settings) -> InTransactionStep:
    """Check-in presses recorded as online visits in the transaction that stores them: a
    stored check-in always has its visit, whatever happens after the commit. When the step
    fails, the events are stored without it and its reconcile records the visits later."""
    from care.online_visits import CHECKIN_KIND, reconcile_checkin_visits, record_checkin_visits
    from gateway.steps import InTransactionStep

    tz = settings.tz

    async def checkin_visits(
        conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]
    ) -> None:
        await record_checkin_visits(conn, events, elder_ids, tz)

    async def reconcile(conn: Conn, now: datetime) -> int:
        return await reconcile_checkin_visits(conn, now, tz)

    return InTransactionStep(
        "checkin-visits", frozenset({CHECKIN_KIND}), checkin_visits, reconcile=reconcile
    )


# After the alert step failed, its reconcile runs this often until it succeeds: an SOS whose
# step failed has its alert within this much of the fault's end.
ALERT_RECONCILE_RETRY_S: Final = 0.25


def critical_alert_step(settings: Settings) -> InTransactionStep:
    """Critical events open (or count on) their alert, and cancels mark it, in the
    transaction that stores them: a stored SOS always has its alert. When the step fails,
    the events are stored without it and its reconcile, retried every
    ``ALERT_RECONCILE_RETRY_S`` until it succeeds, opens the missing alerts. Not part of the
    dead-letter replay: a replayed emergency is opened by the reconcile only when received
    within ``alerting.events.RECONCILE_WINDOW``."""
    from alerting.events import ALERT_KINDS, reconcile_event_alerts, record_event_alerts
    from gateway.steps import InTransactionStep

    window = timedelta(seconds=settings.sos_cancel_window_s)

    async def event_alerts(
        conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]
    ) -> None:
        await record_event_alerts(conn, events, elder_ids, window)

    async def reconcile(conn: Conn, now: datetime) -> int:
        return await reconcile_event_alerts(conn, now, window)

    return InTransactionStep(
        "critical-alerts",
        ALERT_KINDS,
        event_alerts,
        reconcile=reconcile,
        retry_s=ALERT_RECONCILE_RETRY_S,
    )


async def _prompts(settings: Settings, pool: Pool, gw: Gateway, stop: asyncio.Event) -> None:
    """Check-in prompts to the Ping An Tong buttons of elders whose month is not covered."""
    from care.prompts import PromptRule, run_prompts

    rule = PromptRule(settings.tz, settings.checkin_prompt_day)
    await run_prompts(
        pool,
        rule,
        gw.send_command,
        stop,
        lambda: datetime.now(UTC),
        interval_s=settings.checkin_prompt_interval_s,
    )


async def _visit_overdue(settings: Settings, pool: Pool, stop: asyncio.Event) -> None:
    """visit_overdue alerts: the towns' lists from the configured day, A-class elders'
    overdue in-home visits, each cleared when met."""
    from alerting.visit_overdue import VisitOverdueRule
    from alerting.visit_overdue_services import run_visit_overdue

    rule = VisitOverdueRule(settings.tz, settings.visit_overdue_day)
    await run_visit_overdue(
        pool,
        rule,
        stop,
        lambda: datetime.now(UTC),
        interval_s=settings.visit_overdue_interval_s,
    )


async def _until_stopped(work: Awaitable[None], stop: asyncio.Event) -> None:
    try:
        await work
    except BaseException:
        stop.set()
        raise
