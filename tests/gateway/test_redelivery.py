"""A message stored but never acknowledged comes back from the broker with its DUP bit set;
the gateway must not store it twice, even when its ts is the time it was received."""

from __future__ import annotations

import orjson
import pytest

from devices.schema import events_topic
from gateway.mqtt_client import Client
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, running_gateway


async def test_an_unacknowledged_event_without_device_time_is_stored_once_after_redelivery(
    settings: Settings, database_url: str, mqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    topic = events_topic(settings.topic_root, "pat-1")

    async def stored() -> list[tuple[object, ...]]:
        return await fetch(database_url, "SELECT seq, flags FROM events ORDER BY ts")

    device = Publisher(mqtt_url)
    device.connect()
    try:
        with monkeypatch.context() as patch:
            # The gateway commits but its PUBACKs are lost, as when it dies right after.
            patch.setattr(Client, "send_acks", lambda _self, _mids: None)
            async with running_gateway(settings):
                device.publish(topic, orjson.dumps({"kind": "checkin", "seq": 41}))
                await poll(stored, lambda rows: len(rows) == 1, what="first delivery stored")
        # Same client id, persistent session: the broker sends the message again, DUP set.
        async with running_gateway(settings):
            device.publish(topic, orjson.dumps({"kind": "checkin", "seq": 42}))
            rows = await poll(stored, lambda rows: len(rows) >= 2, what="second event stored")
    finally:
        device.close()
    assert rows == [(41, ["no_device_time"]), (42, ["no_device_time"])]


async def test_a_device_resending_after_losing_its_puback_is_stored_once(
    settings: Settings, database_url: str, mqtt_url: str
) -> None:
    """The broker takes a device's resend for a new message: it reaches the gateway without
    the DUP bit, with a receive time of its own."""
    await register(database_url, ["pat-1"], device_type="sos_button")
    topic = events_topic(settings.topic_root, "pat-1")
    press = orjson.dumps({"kind": "checkin", "seq": 41})

    async def stored() -> list[tuple[object, ...]]:
        return await fetch(database_url, "SELECT seq FROM events ORDER BY ts")

    device = Publisher(mqtt_url)
    device.connect()
    try:
        async with running_gateway(settings):
            device.publish(topic, press)
            await poll(stored, lambda rows: len(rows) == 1, what="first copy stored")
            device.publish(topic, press)  # the resend, as a second QoS 1 PUBLISH
            device.publish(topic, orjson.dumps({"kind": "checkin", "seq": 42}))
            rows = await poll(
                stored,
                lambda rows: (42,) in rows,
                what="the event after the resend stored",
            )
    finally:
        device.close()
    assert rows == [(41,), (42,)]
