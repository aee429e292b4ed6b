"""What the alerting benchmark runs against: one ``tanfang serve`` process (gateway, API
and escalator, as deployed on one machine) on a fresh database and a private broker, a
real webhook receiver in the benchmark's event loop, and the means to press buttons, send
background traffic and read the database."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg.rows import TupleRow

from bench._alert_fleet import Homes, button_of
from bench._mqtt import RawPublisher
from bench._workload import DEVICE_PREFIX
from tests.rig.ports import free_port
from tests.rig.tanfang_process import TanfangProcess, api_ready, settings_for
from tests.rig.webhook_receiver import Received, WebhookReceiver

ROOT_DIR = Path(__file__).resolve().parent.parent

T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[TupleRow]


@dataclass
class Rig:
    database_url: str
    mqtt_url: str
    workdir: Path
    rx: WebhookReceiver
    homes: Homes
    commit_timestamps: bool
    # A topic root and client id of its own: a broker shared with other runs (the test
    # rig's) holds no session or message of this one.
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    api_port: int = field(default_factory=free_port)
    serve: TanfangProcess | None = None
    api: httpx.AsyncClient | None = None
    db: AsyncConn | None = None
    buttons: RawPublisher | None = None
    sos_seq: int = 0
    traffic_runs: int = 0

    @property
    def root(self) -> str:
        return f"bench/{self.run_id}/v1"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def process(self) -> TanfangProcess:
        settings = settings_for(
            database_url=self.database_url,
            mqtt_url=self.mqtt_url,
            topic_root=self.root,
            admin_token=self.admin_token,
            api_port=self.api_port,
            client_id=f"tanfang-bench-serve-{self.run_id}",
            extra={
                "TANFANG_WEBHOOK_URL": self.rx.url,
                "TANFANG_WEBHOOK_SECRET": self.secret,
                "TANFANG_ESCALATOR": "true",
            },
        )
        return TanfangProcess("serve", settings, self.workdir / "serve.log")

    async def start_serve(self) -> float:
        """Start ``tanfang serve`` and wait until it is subscribed; the spawn time."""
        self.serve = self.process().start()
        ready = api_ready(self.api_url, gateway=True)
        await asyncio.to_thread(self.serve.wait_until, ready, what="subscribed")
        return self.serve.started_at

    def conn(self) -> AsyncConn:
        assert self.db is not None, "the rig is not open"
        return self.db

    def client(self) -> httpx.AsyncClient:
        assert self.api is not None, "the rig is not open"
        return self.api

    def press(self, home: int) -> float:
        """Publish one SOS press of ``home``'s button (QoS 1); the time just before."""
        assert self.buttons is not None, "the rig is not open"
        self.sos_seq += 1
        topic = f"{self.root}/dev/{button_of(home)}/events".encode()
        at = time.time()
        payload = f'{{"kind":"sos","seq":{self.sos_seq},"ts":{at:.6f}}}'.encode()
        self.buttons.send([(topic, payload)])
        return at

    async def press_paced(self, homes: Sequence[int], rate: float) -> dict[str, float]:
        """Press each home's button once, ``rate`` presses a second; button → publish time."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        pressed: dict[str, float] = {}
        for k, home in enumerate(homes):
            delay = start + k / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the presses, not waiting for a state
            pressed[button_of(home)] = self.press(home)
        return pressed

    async def traffic(self, *args: str) -> asyncio.subprocess.Process:
        """Background events from the benchmark fleet (``bench._traffic``), in a process
        of its own."""
        self.traffic_runs += 1
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._traffic",
            "--mqtt",
            self.mqtt_url,
            "--root",
            self.root,
            "--client-id",
            f"tanfang-bench-traffic-{self.run_id}-{self.traffic_runs}",
            *args,
            cwd=ROOT_DIR,
            stdout=asyncio.subprocess.PIPE,
        )

    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = await self.conn().execute(query, tuple(params))
        return await cur.fetchall()


async def poll(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], deadline_s: float
) -> T:
    """``probe()`` until ``done`` holds of its answer or ``deadline_s`` passed; the last
    answer."""
    end = time.monotonic() + deadline_s
    while True:
        found = await probe()
        if done(found) or time.monotonic() > end:
            return found
        await asyncio.sleep(0.05)  # polling interval; the deadline bounds the wait


async def finished(traffic: asyncio.subprocess.Process) -> dict[str, Any]:
    out, _ = await traffic.communicate()
    if traffic.returncode != 0:
        raise RuntimeError(f"the traffic publisher failed ({traffic.returncode})")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found


async def background_received(rig: Rig, since: float, until: float) -> int:
    """Background events received by the gateway in [since, until) (epoch seconds)."""
    rows = await rig.fetch(
        "SELECT count(*) FROM events WHERE device_id LIKE %s"
        " AND received_at >= to_timestamp(%s) AND received_at < to_timestamp(%s)",
        (DEVICE_PREFIX + "%", since, until),
    )
    return int(rows[0][0])


def arrivals(rig: Rig, start: int) -> list[Received]:
    """The webhook requests received since index ``start``."""
    return rig.rx.requests[start:]
