"""The acknowledgement mechanism the docs describe: gmqtt's QoS 1 handler is replaced on the
gateway's client, and the PUBACKs of a batch go out together once it is committed."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from devices.schema import events_topic
from gateway.mqtt import MqttSession
from gateway.mqtt_client import Client
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, probe, register, running_gateway


async def test_the_gateway_client_takes_qos_1_messages_through_its_own_handler(
    settings: Settings,
) -> None:
    def handler(
        topic: str, payload: bytes, redelivered: bool, retained: bool
    ) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    session = MqttSession(settings, handler)
    replaced = session._client._package_handler._handle_qos_1_publish_packet
    assert replaced == session._on_qos1, "gmqtt would acknowledge when a handler returns"


async def test_the_pubacks_of_a_batch_are_sent_together_after_its_commit(
    settings: Settings, database_url: str, mqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(database_url, ["pat-1"])
    topic = events_topic(settings.topic_root, "pat-1")
    sent: list[tuple[int, bool]] = []  # (PUBACKs in one write, a commit came first)
    original = Client.send_acks
    device = Publisher(mqtt_url)
    device.connect()
    try:
        # One batch: the 5 messages arrive well within its 500 ms.
        async with running_gateway(settings, batch_max_ms=500) as gateway:
            writer = gateway._writer
            assert writer is not None
            before = writer.last_commit  # a commit of this batch must come after this one

            def recording(client: Client, mids: list[int]) -> None:
                committed = writer.last_commit is not None and writer.last_commit != before
                sent.append((len(mids), committed))
                original(client, mids)

            monkeypatch.setattr(Client, "send_acks", recording)
            for seq in range(5):
                device.publish(topic, orjson.dumps({"kind": "motion", "seq": seq}), wait=False)
            await poll(probe(lambda: sent), bool, what="the PUBACKs sent")
    finally:
        device.close()
    assert sent == [(5, True)]
    assert await fetch(database_url, "SELECT count(*) FROM events") == [(5,)]
