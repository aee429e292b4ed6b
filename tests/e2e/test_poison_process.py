"""A real gateway process (``python -m gateway``) takes the poison message that used to kill
it (and kill it again at every redelivery, every SOS queued behind it), and the SOS sent
next is stored within a second by the same, living process."""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.schema import events_topic
from tanfang.settings import Settings
from tests.e2e.test_kill9 import gateway_env, start
from tests.gateway.helpers import Publisher, fetch, poll, scalar
from tests.gateway.ingest_path import register_typed

BUTTON = "pat-e2e"
SENSOR = "pir-e2e"
POISON = b'{"kind": "motion", "x": ' + b"[" * 300 + b"]" * 300 + b"}"
SOS_WITHIN_S = 1.0


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_an_sos_after_the_poison_message_is_stored_within_a_second_by_a_living_gateway(
    settings: Settings,
    database_url: str,
    mqtt_url: str,
    topic_root: str,
    spawned: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    await register_typed(database_url, [(BUTTON, "sos_button"), (SENSOR, "motion_sensor")])
    log = tmp_path / "gateway.log"
    start(spawned, gateway_env(settings, f"tanfang-poison-{uuid.uuid4().hex[:8]}"), log)
    gateway = spawned[0]
    device = Publisher(mqtt_url)
    device.connect()
    try:

        async def subscribed() -> int:
            device.publish(events_topic(topic_root, SENSOR), b'{"kind": "heartbeat"}')
            return int(await scalar(database_url, "SELECT count(*) FROM events"))

        await poll(subscribed, bool, deadline_s=60, what=f"gateway subscribed ({log})")
        device.publish(events_topic(topic_root, SENSOR), POISON)
        device.publish(events_topic(topic_root, BUTTON), b'{"kind": "sos", "seq": 1}')
        await poll(
            lambda: fetch(database_url, "SELECT device_id FROM events WHERE kind = 'sos'"),
            bool,
            deadline_s=SOS_WITHIN_S,
            what="the SOS stored",
        )
    finally:
        device.close()
    assert gateway.poll() is None, log.read_text()[-2000:]
    flags = await fetch(database_url, "SELECT flags FROM events WHERE extra ? 'unusable'")
    assert flags == [(["no_device_time", "unusable_field"],)]
    gateway.send_signal(signal.SIGTERM)
    assert gateway.wait(timeout=30) == 0, log.read_text()[-2000:]
