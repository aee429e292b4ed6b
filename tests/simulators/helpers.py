"""Shared helpers of the simulator tests: a fixed start, file runs, a broker subscriber."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from simulators.clock import TZ
from simulators.files import write_stream
from simulators.generator import Generator
from simulators.incidents import Forced
from simulators.world import World, build_world

START = datetime(2026, 7, 6, 0, 0, tzinfo=TZ)  # a Monday in the hot season
WINTER = datetime(2026, 1, 12, 0, 0, tzinfo=TZ)
DEADLINE_S = 20.0


def file_run(
    world: World,
    days: float,
    *,
    rate: float = 1.0,
    forced: list[Forced] | None = None,
    start: datetime = START,
) -> tuple[str, list[dict[str, Any]]]:
    begin = start.timestamp()
    gen = Generator(world, begin, begin + days * 86400, incident_rate=rate, forced=forced)
    events, truth = io.StringIO(), io.StringIO()
    write_stream(world, gen, events, truth)
    return events.getvalue(), [orjson.loads(x) for x in truth.getvalue().splitlines()]


def lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in text.splitlines()]


def small_world(households: int = 4, seed: int = 11, start: datetime = START) -> World:
    return build_world(households, seed, start)


def poll(check: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {deadline_s}s")
        time.sleep(0.02)


class Subscriber:
    """A plain paho client that records what the broker delivers on ``{root}/#``."""

    def __init__(self, mqtt_url: str, root: str) -> None:
        parts = urlsplit(mqtt_url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-sub-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv311,
        )
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe(f"{root}/#", qos=1)
        self.client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        self.client.loop_start()
        assert self.subscribed.wait(DEADLINE_S), "subscription not acknowledged"

    def _on_message(self, client: Any, userdata: Any, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def snapshot(self) -> list[tuple[str, bytes, bool]]:
        with self.lock:
            return list(self.messages)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(DEADLINE_S)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
