"""A retained message on an events topic is delivered again at every subscription, so at
every gateway start: it is stored once per distinct payload, never refused (a retained SOS
is still an SOS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import REGISTRY

from devices.schema import events_topic
from store.pool import Pool
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, probe, running_gateway
from tests.gateway.ingest_path import ingest_path, register_typed

BUTTON = "pat-ret"
SOS = b'{"kind": "sos"}'  # no ts, no seq: each delivery would be a new event


def duplicates() -> float:
    return REGISTRY.get_sample_value("tanfang_events_duplicate_total") or 0.0


def above(before: float) -> Callable[[float], bool]:
    return lambda now: now > before


async def stored(url: str) -> list[tuple[object, ...]]:
    return await fetch(url, "SELECT kind, flags FROM events ORDER BY received_at")


@pytest.fixture
def device(mqtt_url: str) -> Iterator[Publisher]:
    publisher = Publisher(mqtt_url)
    publisher.connect()
    yield publisher
    publisher.close()


async def test_a_retained_delivery_is_stored_once_per_distinct_payload(
    database_url: str, pool: Pool, topic_root: str
) -> None:
    await register_typed(database_url, [(BUTTON, "sos_button")])
    topic = events_topic(topic_root, BUTTON)
    async with ingest_path(database_url, pool, topic_root) as path:
        for _ in range(3):
            await path.acked(topic, SOS, retained=True)
        await path.acked(topic, b'{"kind": "sos", "note": "again"}', retained=True)
        await path.acked(topic, SOS)  # sent anew, not retained: a new press
    rows = await stored(database_url)
    assert rows == [
        ("sos", ["no_device_time", "retained"]),
        ("sos", ["no_device_time", "retained"]),
        ("sos", ["no_device_time"]),
    ]


async def test_two_deliveries_of_one_retained_payload_in_one_batch_store_it_once(
    database_url: str, pool: Pool, topic_root: str
) -> None:
    await register_typed(database_url, [(BUTTON, "sos_button")])
    topic = events_topic(topic_root, BUTTON)
    heartbeat = b'{"kind": "heartbeat", "note": "retained"}'  # not critical: batched
    async with ingest_path(database_url, pool, topic_root, max_ms=200) as path:
        first = path.ingest.handle(topic, heartbeat, False, True)
        second = path.ingest.handle(topic, heartbeat, False, True)
        assert first is second, "one batch"
        await asyncio.wait_for(first, timeout=15)
    assert await stored(database_url) == [("heartbeat", ["no_device_time", "retained"])]


async def test_a_retained_sos_is_stored_once_across_two_gateway_restarts(
    settings: Settings, database_url: str, topic_root: str, device: Publisher
) -> None:
    await register_typed(database_url, [(BUTTON, "sos_button")])
    topic = events_topic(topic_root, BUTTON)
    try:
        async with running_gateway(settings):
            device.publish(topic, SOS, retain=True)
            await poll(lambda: stored(database_url), bool, what="the SOS stored")
        for restart in (1, 2):
            seen = above(duplicates())
            async with running_gateway(settings):
                # Delivered again at the subscription, and known for what it is.
                await poll(probe(duplicates), seen, what=f"redelivery {restart}")
    finally:
        device.publish(topic, b"", retain=True)  # clear the broker's retained message
    assert await stored(database_url) == [("sos", ["no_device_time", "retained"])]
