"""``tanfang demo``: broker, database, gateway, API and simulated homes on one machine."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from tanfang import runtime
from tanfang.embedded import embedded_broker, embedded_database, pick_port
from tanfang.settings import Settings, warn_at_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOptions:
    households: int = 30
    speed: float = 60.0
    duration_s: float | None = None
    seed: int = 7


async def _demo_settings(stack: AsyncExitStack) -> Settings:
    """The user's settings, with embedded services for the URLs that are not set, and a
    random admin token when none is set (a weak one set by the user is refused as anywhere)."""
    base = Settings()
    update: dict[str, object] = {
        "admin_token": base.admin_token or secrets.token_urlsafe(24),
        "api_port": pick_port(base.api_host, base.api_port),
    }
    if not base.mqtt_url:
        update["mqtt_url"] = await stack.enter_async_context(embedded_broker())
        update["mqtt_protocol"] = "3.1.1"  # all the embedded broker speaks
    if not base.database_url:
        update["database_url"] = await stack.enter_async_context(embedded_database())
    return base.model_copy(update=update)


_DSN_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_password(url: str | None) -> str:
    """``url`` with its password replaced by ``***``: the banner is printed to a terminal
    and often pasted into chats and issues. URL form (``scheme://user:pw@host``) and
    libpq key=value form (``password=pw``) are both covered."""
    if not url:
        return ""
    if "://" not in url:
        return _DSN_PASSWORD.sub(r"\1***", url)
    parts = urlsplit(url)
    if not parts.password:  # none, or empty (pgserver's): nothing to hide
        masked = url
    else:
        userinfo, _, host = parts.netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        masked = urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    # libpq also takes the password as a query parameter (…?password=pw).
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", masked, flags=re.IGNORECASE)


def _banner(settings: Settings, options: DemoOptions) -> str:
    api = f"http://{settings.api_host}:{settings.api_port}"
    broker = mask_password(settings.mqtt_url)
    return "\n".join(
        [
            "",
            "Tanfang demo is running.",
            f"  API          {api}/api/v1   (OpenAPI: {api}/docs)",
            f"  health       {api}/healthz",
            f"  metrics      {api}/metrics",
            f"  admin token  {settings.admin_token}",
            f"  MQTT broker  {broker}  (topic root {settings.topic_root})",
            f"  database     {mask_password(settings.database_url)}",
            f"  homes        {options.households} simulated, {options.speed:g}x real time",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


async def run_demo(options: DemoOptions) -> None:
    """Run until Ctrl-C (or ``duration_s``); raises what stopped the simulated homes, so that
    the command names it rather than serving an API that no home feeds."""
    stop = asyncio.Event()
    runtime.install_stop_signals(stop)
    homes_stop = threading.Event()
    homes: list[asyncio.Task[None]] = []
    async with AsyncExitStack() as stack:
        settings = await _demo_settings(stack)
        warn_at_start(settings)

        async def started() -> None:
            task = await _start_homes(settings, options, homes_stop)
            task.add_done_callback(lambda _: stop.set())
            homes.append(task)
            print(_banner(settings, options), flush=True)
            if options.duration_s is not None:
                asyncio.get_running_loop().call_later(options.duration_s, stop.set)

        try:
            await runtime.run(settings, gateway=True, api=True, stop=stop, api_started=started)
        finally:
            homes_stop.set()
            await asyncio.gather(*homes, return_exceptions=True)
        for task in homes:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise HomesStoppedError(f"the simulated homes stopped: {error}") from error


class HomesStoppedError(RuntimeError):
    """The simulated homes could not go on (the broker refused them, …)."""


async def _start_homes(
    settings: Settings, options: DemoOptions, homes_stop: threading.Event
) -> asyncio.Task[None]:
    """Register the simulated homes through the API, then let them live in a thread."""
    from simulators.live import run_live
    from simulators.register import register_world
    from simulators.world import build_world

    start = datetime.now(UTC)
    world = build_world(options.households, options.seed, start)
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    token, mqtt_url = settings.admin_token, settings.mqtt_url
    assert token is not None
    assert mqtt_url is not None
    await asyncio.to_thread(register_world, world, api_url, token)

    def live() -> None:
        try:
            run_live(
                world,
                mqtt_url=mqtt_url,
                topic_root=settings.topic_root,
                protocol=settings.mqtt_protocol,
                speed=options.speed,
                stop=homes_stop,
                duration_s=None,
                start=start,
            )
        except Exception:
            log.debug("the simulated homes stopped", exc_info=True)
            raise

    log.info("simulated homes: %d registered and publishing", options.households)
    return asyncio.create_task(asyncio.to_thread(live), name="simulated-homes")
