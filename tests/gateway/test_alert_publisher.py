"""Every alert change on MQTT through the rig's Mosquitto: ``{root}/alerts/{town}`` (QoS 1,
not retained, ``_system`` without a town), one publisher at a time, and a restarted gateway
publishes what changed while it was down."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import paho.mqtt.client as paho
import psycopg
import pytest

from alerting.feed import Turn
from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from gateway.alert_publisher import LEASE, AlertPublisher, alert_topic
from gateway.mqtt import MqttSession
from store.pool import Pool
from tanfang.settings import Settings
from tests.alerting.conftest import add_home
from tests.gateway.helpers import DEADLINE_S, Publisher, poll, running_gateway, scalar

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


class Received:
    """What a siren subscribed to ``{root}/alerts/#`` got, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.messages: list[paho.MQTTMessage] = []

    def put(self, message: paho.MQTTMessage) -> None:
        self._queue.put(message)

    def drained(self) -> list[paho.MQTTMessage]:
        while not self._queue.empty():
            self.messages.append(self._queue.get_nowait())
        return self.messages

    async def of_alert(self, alert_id: int, change: str) -> paho.MQTTMessage:
        """The message of this change of this alert; fails after the deadline."""

        def find(messages: list[paho.MQTTMessage]) -> bool:
            return any(_is(m, alert_id, change) for m in messages)

        async def read() -> list[paho.MQTTMessage]:
            return self.drained()

        found = await poll(read, find, what=f"{change} of alert {alert_id} on MQTT")
        return next(m for m in found if _is(m, alert_id, change))


def _is(message: paho.MQTTMessage, alert_id: int, change: str) -> bool:
    body = orjson.loads(message.payload)
    return bool(body["alert"]["id"] == str(alert_id) and body["change"] == change)


@pytest.fixture
def siren(mqtt_url: str, topic_root: str) -> Iterator[Received]:
    received = Received()
    client = Publisher(mqtt_url)
    suback = threading.Event()
    client.client.on_message = lambda _c, _u, message: received.put(message)
    client.client.on_subscribe = lambda *_args: suback.set()
    client.connect()
    client.client.subscribe(f"{topic_root}/alerts/#", qos=1)
    assert suback.wait(DEADLINE_S), "the broker never confirmed the subscription"
    yield received
    client.close()


async def raise_alert(database_url: str, signal: AlertSignal, town: str = "赤坎鎮") -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        if signal.elder_id is not None and signal.device_id is not None:
            await add_home(conn, signal.elder_id, signal.device_id, town=town)
        done = await open_alert(conn, signal, T0)
    return done.alert.id


async def publisher_started(database_url: str, topic_root: str) -> None:
    """The publisher has saved its first position: changes from now on are published."""

    async def saved() -> int:
        count: int = await scalar(
            database_url,
            "SELECT count(*) FROM alert_feed_cursors WHERE name = %s",
            (f"mqtt:{topic_root}",),
        )
        return count

    await poll(saved, lambda count: count == 1, what="the publisher's first position")


def test_a_town_is_a_topic_level_and_an_alert_of_no_town_goes_to_system() -> None:
    assert alert_topic("tanfang/v1", "赤坎鎮") == "tanfang/v1/alerts/赤坎鎮"
    assert alert_topic("tanfang/v1", None) == "tanfang/v1/alerts/_system"
    assert alert_topic("tanfang/v1", "a/b+c#") == "tanfang/v1/alerts/a_b_c_"


async def test_every_alert_change_is_published_on_its_towns_topic(
    settings: Settings, database_url: str, siren: Received
) -> None:
    async with running_gateway(settings):
        await publisher_started(database_url, settings.topic_root)
        sos = await raise_alert(database_url, AlertSignal(AlertType.SOS, "KP-1", "pat-1"))
        outage = await raise_alert(database_url, AlertSignal(AlertType.GATEWAY_OUTAGE, None))
        town_level = AlertSignal(AlertType.VISIT_OVERDUE, None, town="水口鎮")
        overdue = await raise_alert(database_url, town_level)
        opened = await siren.of_alert(sos, "opened")
        system = await siren.of_alert(outage, "opened")
        of_town = await siren.of_alert(overdue, "opened")
    assert opened.topic == f"{settings.topic_root}/alerts/赤坎鎮"
    assert (opened.qos, opened.retain) == (1, False)
    body: dict[str, Any] = orjson.loads(opened.payload)
    assert body["town"] == "赤坎鎮"
    assert body["alert"]["type"] == "sos"
    assert body["alert"]["elder_id"] == "KP-1"
    assert datetime.fromisoformat(body["at"]) == T0
    assert "acked_by" not in body["alert"], "no names on the wire"
    assert system.topic == f"{settings.topic_root}/alerts/_system"
    assert of_town.topic == f"{settings.topic_root}/alerts/水口鎮", "a town-level alert's town"


async def test_a_restarted_gateway_publishes_what_changed_while_it_was_down(
    settings: Settings, database_url: str, siren: Received
) -> None:
    async with running_gateway(settings):
        await publisher_started(database_url, settings.topic_root)
    while_down = await raise_alert(database_url, AlertSignal(AlertType.SOS, "KP-1", "pat-1"))
    async with running_gateway(settings):
        await siren.of_alert(while_down, "opened")


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[MqttSession]:
    """An MQTT session of the gateway's kind, without a gateway around it."""

    def ignore(topic: str, payload: bytes, dup: bool, retain: bool) -> asyncio.Future[Any]:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    opened = MqttSession(settings, ignore)
    assert await opened.connect(asyncio.Event())
    yield opened
    await opened.disconnect()


async def test_only_the_holder_of_the_lease_publishes(
    pool: Pool, session: MqttSession, settings: Settings, database_url: str, siren: Received
) -> None:
    publisher = AlertPublisher(pool, session, settings.topic_root)
    assert await publisher.turn() is Turn.IDLE  # nothing yet: the first position is saved
    sos = await raise_alert(database_url, AlertSignal(AlertType.SOS, "KP-1", "pat-1"))
    async with await psycopg.AsyncConnection.connect(database_url) as other:
        await other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LEASE,))
        assert await publisher.turn() is Turn.IDLE, "another gateway holds the lease"
    while await publisher.turn() is Turn.MORE:
        pass
    await siren.of_alert(sos, "opened")
    position = await scalar(
        database_url, "SELECT position FROM alert_feed_cursors WHERE name = %s", (publisher.name,)
    )
    assert position == await scalar(database_url, "SELECT max(id) FROM alert_timeline")
