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

# How often the progress callback hears of a run, in seconds of wall time: often enough for
# a live bar, rarely enough to cost nothing next to a publish.
PROGRESS_EVERY_S: Final = 0.25
# Messages between two turns of the network loop while publishing without a pause.
PUMP_EVERY: Final = 500

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
    ``progress(sent, recorded time reached)`` hears every ``PROGRESS_EVERY_S`` and at the end.
    """
    links = Links(mqtt_url, protocol)
    links.add(f"tanfang-replay-{time.monotonic_ns() % 10**9}")
    links.connect()
    ticker = _Ticker(progress)
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
                    _wait_until(links, wall0, first_ts, record.ts, speed, stop, ticker, sent)
            if record.channel == "status":
                topic = status_topic(topic_root, record.device_id)
            else:
                topic = events_topic(topic_root, record.device_id)
            links.publish(0, topic, record.payload, retain=record.retain)
            sent += 1
            if sent % PUMP_EVERY == 0:
                links.pump(0.0)
            ticker.tick(sent, reached)
        links.flush(30.0)
    finally:
        links.close()
    ticker.tell(sent, reached)
    return sent


class _Ticker:
    """Calls the progress callback at most every ``PROGRESS_EVERY_S``."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._last = time.monotonic()

    def tick(self, sent: int, reached: float | None) -> None:
        if self._progress is not None and time.monotonic() - self._last >= PROGRESS_EVERY_S:
            self.tell(sent, reached)

    def tell(self, sent: int, reached: float | None) -> None:
        self._last = time.monotonic()
        if self._progress is not None:
            self._progress(sent, reached)


def _wait_until(  # noqa: PLR0917 - the pacing state, passed as it is
    links: Links,
    wall0: float,
    first_ts: float,
    ts: float,
    speed: float,
    stop: threading.Event | None,
    ticker: _Ticker,
    sent: int,
) -> None:
    """Until the wall time at which ``ts`` is due; the recorded time shown meanwhile runs
    with the wall clock (a sparse recording can wait hours between two messages)."""
    due = wall0 + (ts - first_ts) / speed
    while (left := due - time.monotonic()) > 0:
        if stop is not None and stop.is_set():
            return
        links.pump(min(left, 0.05))
        ticker.tick(sent, min(ts, first_ts + (time.monotonic() - wall0) * speed))
