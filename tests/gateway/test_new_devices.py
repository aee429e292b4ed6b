"""A device is never refused for being new: a registry miss is asked of the database (in
batches, with a negative cache), and a deleted device is refused from its next message on.

Real broker, real database, devices registered and deleted through the real API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import httpx
import orjson
import psycopg
import pytest
from prometheus_client import REGISTRY

from api.app import create_app
from gateway import misses
from gateway.service import Gateway
from gateway.sinks import CommittedBatch
from store.pool import Pool
from tanfang.settings import Settings
from tests.api.conftest import bearer, elder_body
from tests.gateway.helpers import (
    Publisher,
    poll,
    probe,
    register,
    running,
    running_gateway,
    scalar,
)

NEW = "pat-new-1"
ELDER = "KP-000123"


class Recorder:
    """A post-commit sink that keeps the order in which events were committed."""

    def __init__(self) -> None:
        self.seqs: list[int | None] = []

    async def handle(self, batch: CommittedBatch) -> None:
        self.seqs.extend(event.seq for event in batch.events)


class SwitchedPool:
    """The real pool, whose ``connection()`` fails while ``down``: the database unreachable."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.down = False

    def connection(self, timeout: float | None = None) -> object:
        if self.down:
            raise psycopg.OperationalError("the database is down")
        return self._pool.connection(timeout)

    def as_pool(self) -> Pool:
        return cast("Pool", self)


@asynccontextmanager
async def api(settings: Settings, pool: Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, pool=pool)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
            yield c


def topic(root: str, device: str = NEW) -> str:
    return f"{root}/dev/{device}/events"


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def count(url: str, table: str) -> int:
    # The table name is one of two literals of this module, never input.
    query = {"events": "SELECT count(*) FROM events", "dead": "SELECT count(*) FROM dead_letters"}
    return int(await scalar(url, query[table]))


def flood(publisher: Publisher, topic_: str, n: int) -> None:
    """``n`` messages at once (one event each, seq 0…n-1); returns when the broker has all."""
    infos = [
        publisher.publish(topic_, orjson.dumps({"kind": "motion", "seq": i}), wait=False)
        for i in range(n)
    ]
    for info in infos:
        info.wait_for_publish(timeout=15)
        assert info.is_published()


async def test_1000_events_published_as_the_201_returns_are_all_stored_in_order(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher, pool: Pool
) -> None:
    sink = Recorder()
    # One writer: batches commit in the order they were cut, so the sink sees ingest order.
    gateway = Gateway(
        settings.model_copy(update={"batch_max_ms": 20, "ingest_writers": 1}),
        pool,
        sinks=[sink],
    )
    admin = bearer(settings.admin_token or "")
    async with running(gateway), api(settings, pool) as client:
        elder = await client.post("/api/v1/elders", json=elder_body(ELDER), headers=admin)
        assert elder.status_code == 201, elder.text
        body = {"id": NEW, "type": "motion_sensor", "elder_id": ELDER}
        created = await client.post("/api/v1/devices", json=body, headers=admin)
        assert created.status_code == 201, created.text
        flood(publisher, topic(topic_root), 1000)
        await poll(lambda: count(database_url, "events"), lambda n: n == 1000, what="all stored")
        await poll(probe(lambda: len(sink.seqs)), lambda n: n == 1000, what="all seen by the sink")
    assert await count(database_url, "dead") == 0
    assert sink.seqs == list(range(1000)), "a device's messages were reordered"
    elders = await scalar(database_url, "SELECT array_agg(DISTINCT elder_id) FROM events")
    assert elders == [ELDER]


async def test_a_flood_from_an_unregistered_id_is_refused_with_one_lookup(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    stranger = "nobody-knows-me"
    refused = {"reason": "unknown_device"}
    refused_before = metric("tanfang_events_refused_total", **refused)
    lookups_before = metric("tanfang_registry_lookups_total", result="not_found")
    async with running_gateway(settings):
        started = time.monotonic()
        flood(publisher, topic(topic_root, stranger), 2000)
        await poll(
            probe(lambda: metric("tanfang_events_refused_total", **refused)),
            lambda n: n - refused_before == 2000,
            what="every message refused",
        )
        elapsed = time.monotonic() - started
    lookups = metric("tanfang_registry_lookups_total", result="not_found") - lookups_before
    # One lookup per negative-cache lifetime, however many messages.
    assert 1 <= lookups <= 1 + elapsed // misses.NEGATIVE_TTL_S
    assert await count(database_url, "events") == 0
    reasons = await scalar(database_url, "SELECT array_agg(DISTINCT reason) FROM dead_letters")
    assert reasons == ["unknown_device"]


async def test_registering_an_id_refused_moments_ago_lets_its_next_message_in_at_once(
    settings: Settings,
    database_url: str,
    topic_root: str,
    publisher: Publisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Far longer than the test: only the registration's notification can clear the entry.
    monkeypatch.setattr(misses, "NEGATIVE_TTL_S", 3600.0)
    async with running_gateway(settings) as gateway:
        publisher.publish(topic(topic_root), b'{"kind": "motion", "seq": 1}')
        await poll(lambda: count(database_url, "dead"), lambda n: n == 1, what="refused")
        assert gateway.registry.get(NEW) is None
        await register(database_url, [NEW], device_type="sos_button")  # the trigger notifies
        # Not waiting for the broker's PUBACK: the gateway's loop (this test's) runs on.
        publisher.publish(topic(topic_root), b'{"kind": "checkin", "seq": 2}', wait=False)
        await poll(lambda: count(database_url, "events"), lambda n: n == 1, what="stored")
    assert await count(database_url, "dead") == 1


async def test_a_device_deleted_through_the_api_is_refused_from_its_next_message(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher, pool: Pool
) -> None:
    await register(database_url, [NEW])
    async with running_gateway(settings) as gateway, api(settings, pool) as client:
        publisher.publish(topic(topic_root), b'{"kind": "motion", "seq": 1}')
        await poll(lambda: count(database_url, "events"), lambda n: n == 1, what="stored")
        deleted = await client.delete(
            f"/api/v1/devices/{NEW}", headers=bearer(settings.admin_token or "")
        )
        assert deleted.status_code == 204
        # The gateway hears of the deletion by notification: the next message after that.
        await poll(probe(lambda: NEW in gateway.registry), lambda known: not known, what="heard")
        publisher.publish(topic(topic_root), b'{"kind": "motion", "seq": 2}', wait=False)
        await poll(lambda: count(database_url, "dead"), lambda n: n == 1, what="refused")
    assert await count(database_url, "events") == 1
    reason = await scalar(database_url, "SELECT reason FROM dead_letters")
    assert reason == "unknown_device"


async def test_a_lookup_the_database_fails_leaves_the_message_waiting_not_refused(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher, pool: Pool
) -> None:
    switched = SwitchedPool(pool)
    gateway = Gateway(settings.model_copy(update={"batch_max_ms": 20}), switched.as_pool())
    failures = "tanfang_registry_lookup_failures_total"
    async with running(gateway):
        # Registered without a notification: only the lookup can find it.
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as c:
            await c.execute("SET session_replication_role = replica")
            await c.execute("INSERT INTO devices (id, type) VALUES (%s, 'sos_button')", (NEW,))
        before = metric(failures)
        switched.down = True
        publisher.publish(topic(topic_root), b'{"kind": "sos", "seq": 1}')
        await poll(probe(lambda: metric(failures)), lambda n: n - before >= 2, what="retried")
        assert await count(database_url, "dead") == 0
        switched.down = False
        await poll(lambda: count(database_url, "events"), lambda n: n == 1, what="stored")
    assert await count(database_url, "dead") == 0
