"""Publish a recorded events.jsonl to a broker, as fast as possible or paced by its times."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from devices.schema import events_topic, status_topic
from simulators.files import read_events
from simulators.mqttio import Links

# How often (in messages) the progress callback hears of a run going as fast as it can:
# often enough for a live bar, rarely enough to cost nothing next to a publish.
PROGRESS_EVERY: Final = 100
# Between two callbacks while a paced replay waits for its next message, in seconds.
PROGRESS_WAIT_S: Final = 0.25

# (messages published so far, the recorded time reached, epoch seconds or None)
Progress = Callable[[int, float | None], None]


@dataclass(frozen=True, slots=True)
class Recording:
    """What a recording holds: its messages and the span of its events' own times."""

    messages: int
    first_ts: float | None  # the first event's time, in file order: where pacing starts
    last_ts: float | None  # the latest event time

    @property
    def span_s(self) -> float:
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        return max(self.last_ts - self.first_ts, 0.0)

    def wall_s(self, speed: float | None) -> float | None:
        """The wall time a replay paced at ``speed`` takes at least; None unpaced."""
        return self.span_s / speed if speed else None


def scan(path: Path) -> Recording:
    """Read ``path`` once for its message count and span (ValueError on a bad line)."""
    messages = 0
    first: float | None = None
    last: float | None = None
    for record in read_events(path):
        messages += 1
        if record.ts is not None:
            first = record.ts if first is None else first
            last = record.ts if last is None else max(last, record.ts)
    return Recording(messages, first, last)


def replay(
    path: Path,
    *,
    mqtt_url: str,
    topic_root: str = "tanfang/v1",
    protocol: str = "5",
    speed: float | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> int:
    """Publish every line of ``path``; with ``speed``, keep the recorded spacing ÷ speed.

    Returns the number of messages published. Status lines are published retained.
    ``progress`` hears every ``PROGRESS_EVERY`` messages, while waiting, and at the end.
    """
    links = Links(mqtt_url, protocol)
    links.add(f"tanfang-replay-{time.monotonic_ns() % 10**9}")
    links.connect()
    tell = progress or (lambda _sent, _ts: None)
    sent = 0
    first_ts: float | None = None
    reached: float | None = None
    wall0 = time.monotonic()
    try:
        for record in read_events(path):
            if stop is not None and stop.is_set():
                break
            if record.ts is not None:
                reached = record.ts if reached is None else max(reached, record.ts)
                if speed:
                    first_ts = record.ts if first_ts is None else first_ts
                    wait = wall0 + (record.ts - first_ts) / speed
                    _wait_until(links, wait, stop, lambda: tell(sent, reached))  # noqa: B023 - called at once
            if record.channel == "status":
                topic = status_topic(topic_root, record.device_id)
            else:
                topic = events_topic(topic_root, record.device_id)
            links.publish(0, topic, record.payload, retain=record.retain)
            sent += 1
            if sent % PROGRESS_EVERY == 0:
                links.pump(0.0)
                tell(sent, reached)
        links.flush(30.0)
    finally:
        links.close()
    tell(sent, reached)
    return sent


def _wait_until(
    links: Links, wall: float, stop: threading.Event | None, waiting: Callable[[], None]
) -> None:
    told = time.monotonic()
    while (left := wall - time.monotonic()) > 0:
        if stop is not None and stop.is_set():
            return
        links.pump(min(left, 0.05))
        if time.monotonic() - told >= PROGRESS_WAIT_S:
            told = time.monotonic()
            waiting()
