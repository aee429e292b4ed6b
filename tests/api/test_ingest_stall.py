"""``/healthz`` tells the truth about ingest: with messages waiting and none completed for
``STALL_AFTER_S``, it says ``degraded`` (still 200, per contract) and ``/readyz`` 503 — the
broker and the database both being reachable does not make a stuck gateway healthy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest

from api.app import create_app
from devices.schema import Event, events_topic
from gateway.liveness import STALL_AFTER_S
from gateway.service import Gateway
from gateway.steps import InTransactionStep
from store.db import Conn
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, poll, probe, running
from tests.gateway.ingest_path import register_typed

BUTTON = "pat-stall"


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class StuckStep:
    """An in-transaction step that holds its batch until released: a stuck commit. An SOS's
    batch runs on the gateway's critical lane (another thread and loop): thread events."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    async def __call__(
        self, conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]
    ) -> None:
        self.entered.set()
        await asyncio.to_thread(self.release.wait)


@pytest.fixture
async def device(mqtt_url: str) -> AsyncIterator[Publisher]:
    publisher = Publisher(mqtt_url)
    publisher.connect()
    yield publisher
    publisher.close()


async def health(client: httpx.AsyncClient) -> tuple[str, object, int]:
    body = (await client.get("/healthz")).json()
    ready = (await client.get("/readyz")).status_code
    return body["status"], body["gateway"]["ingest"]["stalled"], ready


async def test_healthz_degrades_while_messages_wait_and_none_completes(
    settings: Settings, database_url: str, topic_root: str, device: Publisher
) -> None:
    await register_typed(database_url, [(BUTTON, "sos_button")])
    clock, stuck = Clock(), StuckStep()
    gateway = Gateway(
        settings.model_copy(update={"batch_max_ms": 20}),
        steps=[InTransactionStep("stuck", frozenset({"sos"}), stuck)],
        clock=clock,
    )
    app = create_app(settings, health=gateway)
    transport = httpx.ASGITransport(app=app)
    async with (
        running(gateway),
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as client,
    ):
        try:
            assert await health(client) == ("ok", False, 200)
            device.publish(events_topic(topic_root, BUTTON), b'{"kind": "sos", "seq": 1}')
            await poll(probe(stuck.entered.is_set), bool, what="the step holding the batch")
            clock.now += STALL_AFTER_S - 1
            assert await health(client) == ("ok", False, 200), "waiting, not yet stalled"
            clock.now += 1
            assert await health(client) == ("degraded", True, 503)
        finally:
            stuck.release.set()
        await poll(lambda: health(client), lambda h: h == ("ok", False, 200), what="recovered")
