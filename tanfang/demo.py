"""``tanfang demo``: broker, database, gateway, API and simulated homes on one machine."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import psycopg

from api.routes.sign_in import CONSOLE_SIGN_IN_PATH
from api.sign_in_repo import CodeGrant
from api.sign_in_services import issue_code
from tanfang import runtime
from tanfang.embedded import embedded_broker, embedded_database, pick_port
from tanfang.settings import Settings, warn_at_start

log = logging.getLogger(__name__)

# The demo's sign-in link: long enough to read the banner and click; the console session it
# opens lasts a working day.
DEMO_SIGN_IN_VALID: Final = timedelta(hours=1)
DEMO_SESSION: Final = timedelta(hours=12)


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


def _banner(settings: Settings, options: DemoOptions, sign_in_code: str | None = None) -> str:
    """What the demo prints: the console first (and a one-click sign-in link), then the rest."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    broker = mask_password(settings.mqtt_url)
    minutes = round(DEMO_SIGN_IN_VALID.total_seconds() / 60)
    link = f"{api}{CONSOLE_SIGN_IN_PATH}{sign_in_code}"
    sign_in = [f"  sign in      {link}   (one click, once, {minutes} min)"] if sign_in_code else []
    return "\n".join(
        [
            "",
            "Tanfang demo is running.",
            f"  console      {api}/console/",
            *sign_in,
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
            code = await _demo_sign_in_code(settings)
            print(_banner(settings, options, code), flush=True)
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


async def _demo_sign_in_code(settings: Settings) -> str:
    """A single-use code that signs the demo's admin in to the console with one click: the
    link carries the code (in its fragment, never sent to a server), not the admin token."""
    assert settings.database_url is not None
    grant = CodeGrant("admin", None, "demo admin", int(DEMO_SESSION.total_seconds()))
    async with await psycopg.AsyncConnection.connect(settings.database_url) as conn:
        issued = await issue_code(conn, grant, now=datetime.now(UTC), valid_for=DEMO_SIGN_IN_VALID)
    return issued.code


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
