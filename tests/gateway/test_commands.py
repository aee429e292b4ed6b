"""Commands to devices (contract §1 ``…/cmd``) go out through the gateway's own session."""

from __future__ import annotations

import queue
import threading

import orjson
import paho.mqtt.client as paho
import pytest

from devices.schema import cmd_topic
from gateway.broker import MqttError
from gateway.service import Gateway
from tanfang.settings import Settings
from tests.gateway.helpers import DEADLINE_S, Publisher, running_gateway


async def test_send_command_reaches_the_device_cmd_topic_at_qos_1(
    settings: Settings, mqtt_url: str
) -> None:
    received: queue.Queue[paho.MQTTMessage] = queue.Queue()
    device = Publisher(mqtt_url)
    suback = threading.Event()
    device.client.on_message = lambda _c, _u, message: received.put(message)
    device.client.on_subscribe = lambda *_args: suback.set()
    device.connect()
    subscribed = device.client.subscribe(cmd_topic(settings.topic_root, "pat-1"), qos=1)
    assert subscribed[0] == paho.MQTT_ERR_SUCCESS
    assert suback.wait(DEADLINE_S), "the broker never confirmed the subscription"
    try:
        async with running_gateway(settings) as gateway:
            command = {"cmd": "checkin_prompt", "id": "p-1", "expires": 1_800_000_000.0}
            await gateway.send_command("pat-1", command)
            message = received.get(timeout=DEADLINE_S)
    finally:
        device.close()
    assert message.topic == cmd_topic(settings.topic_root, "pat-1")
    assert message.qos == 1
    assert orjson.loads(message.payload) == command


async def test_send_command_before_the_gateway_runs_is_an_error(settings: Settings) -> None:
    with pytest.raises(MqttError):
        await Gateway(settings).send_command("pat-1", {"cmd": "checkin_prompt"})
