"""Publish a recorded events.jsonl to a broker, as fast as possible or paced by its times."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from devices.schema import events_topic, status_topic
from simulators.files import read_events
from simulators.mqttio import Links


def replay(
    path: Path,
    *,
    mqtt_url: str,
    topic_root: str = "tanfang/v1",
    protocol: str = "5",
    speed: float | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Publish every line of ``path``; with ``speed``, keep the recorded spacing ÷ speed.

    Returns the number of messages published. Status lines are published retained.
    """
    links = Links(mqtt_url, protocol)
    links.add(f"tanfang-replay-{time.monotonic_ns() % 10**9}")
    links.connect()
    sent = 0
    first_ts: float | None = None
    wall0 = time.monotonic()
    try:
        for record in read_events(path):
            if stop is not None and stop.is_set():
                break
            if speed and record.ts is not None:
                first_ts = record.ts if first_ts is None else first_ts
                _wait_until(links, wall0 + (record.ts - first_ts) / speed, stop)
            if record.channel == "status":
                topic = status_topic(topic_root, record.device_id)
            else:
                topic = events_topic(topic_root, record.device_id)
            links.publish(0, topic, record.payload, retain=record.retain)
            sent += 1
            if sent % 500 == 0:
                links.pump(0.0)
        links.flush(30.0)
    finally:
        links.close()
    return sent


def _wait_until(links: Links, wall: float, stop: threading.Event | None) -> None:
    while (left := wall - time.monotonic()) > 0:
        if stop is not None and stop.is_set():
            return
        links.pump(min(left, 0.05))
