"""Publish a simulated world to a broker as simulated time passes (``speed`` × wall clock).

Synchronous: ``run_live`` blocks its thread until ``duration_s`` of wall time passed or
``stop`` is set; the demo runs it in a thread of its own. The rows come from the same
generator as file output, so a live run with a fixed ``start`` publishes exactly the lines
``--out`` writes (``tap`` records them for comparison).
"""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import numpy as np
import numpy.typing as npt
import orjson

from devices.kinds import DeviceType
from devices.schema import cmd_topic, events_topic, status_topic
from simulators import codes
from simulators.clock import to_epoch
from simulators.files import truth_line
from simulators.generator import Chunk, Generator, concat, online_rows
from simulators.incidents import Forced
from simulators.mqttio import Links
from simulators.prompts import answer_time
from simulators.wire import Wire
from simulators.world import World

log = logging.getLogger(__name__)

DEVICE_CONNECTIONS_UP_TO = 1000  # more devices than this share connections
DEVICES_PER_SHARED_CONNECTION = 5000
FOREVER_S = 10 * 365 * 86400.0


@dataclass(slots=True)
class RunStats:
    published: int = 0
    events: int = 0
    incidents: int = 0
    prompts: int = 0
    answered: int = 0
    connections: int = 0
    sim_start: float = 0.0
    sim_end: float = 0.0
    wall_s: float = 0.0
    max_lag_s: float = 0.0  # how late (wall seconds) the latest message went out


def run_live(
    world: World,
    *,
    mqtt_url: str,
    topic_root: str = "tanfang/v1",
    protocol: str = "5",
    speed: float = 1.0,
    stop: threading.Event | None = None,
    duration_s: float | None = None,
    start: datetime | None = None,
    incident_rate: float = 1.0,
    forced: list[Forced] | None = None,
    connections: str = "auto",
    tap: IO[str] | None = None,
    truth: IO[str] | None = None,
    wall_origin: float | None = None,
) -> RunStats:
    """Publish ``world`` live until ``duration_s`` wall seconds passed or ``stop`` is set.

    ``start`` is due at the wall clock's ``wall_origin`` (epoch s; default: when publishing
    begins) — the same anchor a detection on a simulated clock is given
    (``TANFANG_DETECT_CLOCK``), so that both read the same simulated time."""
    begin = round(to_epoch(start) if start is not None else time.time(), 3)
    span = duration_s * speed if duration_s is not None else FOREVER_S
    generator = Generator(
        world, begin, begin + span, incident_rate=incident_rate, forced=forced, keep_busy=True
    )
    runner = _Runner(world, mqtt_url, topic_root, protocol, speed, connections, tap, truth)
    return runner.run(stop or threading.Event(), duration_s is not None, generator, wall_origin)


class _Runner:
    def __init__(  # noqa: PLR0917 - internal, called in one place
        self,
        world: World,
        url: str,
        root: str,
        protocol: str,
        speed: float,
        connections: str,
        tap: IO[str] | None,
        truth: IO[str] | None,
    ) -> None:
        self.world, self.root, self.speed = world, root, speed
        self.tap, self.truth = tap, truth
        self.wire = Wire(world)
        self.stats = RunStats()
        self.links = Links(url, protocol, on_message=self._command)
        self.index = {device.id: device.index for device in world.devices}
        self.adhoc: list[tuple[float, int]] = []  # (time, device) check-in answers
        self.busy: dict[int, list[tuple[float, float]]] = {}
        self.now_sim = 0.0
        self.generator: Generator | None = None
        self.released = True
        self._open(connections)

    def _open(self, mode: str) -> None:
        devices = self.world.devices
        per_device = mode == "device" or (
            mode == "auto" and len(devices) <= DEVICE_CONNECTIONS_UP_TO
        )
        if per_device:
            # A real device: its own connection, whose Last Will says it went offline.
            for device in devices:
                will = (status_topic(self.root, device.id), b"offline")
                self.links.add(f"dev-{device.id}", will)
                if device.type == DeviceType.SOS_BUTTON:
                    self.links.subscribe(device.index, cmd_topic(self.root, device.id))
            self.link_of = list(range(len(devices)))
        else:
            tag = uuid.uuid4().hex[:8]
            count = max(1, -(-len(devices) // DEVICES_PER_SHARED_CONNECTION))
            for number in range(count):
                will = (f"{self.root}/sim/{tag}-{number}/status", b"offline")
                self.links.add(f"tanfang-sim-{tag}-{number}", will)
            self.links.subscribe(0, cmd_topic(self.root, "+"))
            self.link_of = [d.index % count for d in devices]
        self.stats.connections = len(self.links.clients)

    def run(
        self, stop: threading.Event, bounded: bool, gen: Generator, wall_origin: float | None
    ) -> RunStats:
        self.generator = gen
        halt = threading.Event()
        # One day ahead at most: a day of 10 000 homes is a few hundred MB of rows.
        chunks: queue.Queue[Chunk | None] = queue.Queue(maxsize=1)
        self.want = threading.Semaphore(1)
        producer = threading.Thread(
            target=_produce,
            args=(gen, chunks, halt, self.want),
            daemon=True,
            name="simulator-generator",
        )
        producer.start()
        try:
            self.links.connect()
            wall0 = time.monotonic()
            if wall_origin is not None:
                wall0 -= time.time() - wall_origin
            self.stats.sim_start = self.now_sim = gen.start
            self._loop(stop, chunks, wall0=wall0, start=gen.start, end=gen.end, bounded=bounded)
            self._power_off()
        finally:
            halt.set()
            self.links.close()
            producer.join(timeout=5)
        self.stats.wall_s = time.monotonic() - wall0
        return self.stats

    def _loop(
        self,
        stop: threading.Event,
        chunks: queue.Queue[Chunk | None],
        *,
        wall0: float,
        start: float,
        end: float,
        bounded: bool,
    ) -> None:
        chunk: Chunk | None = None
        pos = 0
        done = False
        while not stop.is_set():
            if chunk is None or pos >= len(chunk):
                following = self._next(chunks, stop) if not done else None
                if following is None:
                    done = True
                    self.now_sim = min(start + (time.monotonic() - wall0) * self.speed, end)
                    if not bounded or self.now_sim >= end or stop.is_set():
                        break
                    self.links.pump(min((end - self.now_sim) / self.speed, 0.05))
                    continue
                chunk, pos = following, 0
                self._took(chunk)
            self.now_sim = min(start + (time.monotonic() - wall0) * self.speed, end)
            upto = int(np.searchsorted(chunk.t, self.now_sim, side="right"))
            if not self.released and upto >= len(chunk) // 2:
                # Prepare the next day once half of this one is out: never three in memory.
                self.want.release()
                self.released = True
            if upto > pos or (self.adhoc and self.adhoc[0][0] <= self.now_sim):
                self._send(chunk, pos, upto)
                lag = (self.now_sim - float(chunk.t[upto - 1])) / self.speed if upto > pos else 0.0
                self.stats.max_lag_s = max(self.stats.max_lag_s, lag)
                pos = upto
                continue
            if bounded and self.now_sim >= end:
                break
            due = float(chunk.t[pos]) if pos < len(chunk) else end
            if self.adhoc:
                due = min(due, self.adhoc[0][0])
            self.links.pump(min(max((due - self.now_sim) / self.speed, 0.0), 0.05))
        self.stats.sim_end = self.now_sim

    def _next(self, chunks: queue.Queue[Chunk | None], stop: threading.Event) -> Chunk | None:
        while not stop.is_set():
            try:
                chunk = chunks.get(timeout=0.05)
            except queue.Empty:
                self.links.pump(0.0)
                continue
            self.released = False
            return chunk
        return None

    def _took(self, chunk: Chunk) -> None:
        self.busy.update(chunk.busy)
        self.stats.incidents += len(chunk.truth)
        if self.truth is not None:
            for record in chunk.truth:
                self.truth.write(truth_line(record))

    def _send(self, chunk: Chunk, i: int, j: int) -> None:
        part = _slice(chunk, i, j)
        due = []
        while self.adhoc and self.adhoc[0][0] <= self.now_sim:
            due.append(heapq.heappop(self.adhoc))
        if due and self.generator is not None:
            t = np.array([d[0] for d in due])
            dev = np.array([d[1] for d in due], dtype=np.int32)
            extra = online_rows(0.0, 0)
            extra.t, extra.dev = t, dev
            extra.code = np.full(t.size, codes.CHECKIN, np.int16)
            extra.value, extra.shift = np.full(t.size, np.nan), np.zeros(t.size)
            extra.battery = self.generator.battery(t, dev)
            extra.aux = np.full(t.size, -1, np.int32)
            merged = concat(part, extra)
            order = np.argsort(merged.t, kind="stable")
            part = _reorder(merged, order)
        self._publish(part)

    def _publish(self, part: Chunk) -> None:
        rendered = self.wire.render(part)
        ids, root, links = self.wire.ids, self.root, self.links
        for dev, code, payload in zip(rendered.dev, rendered.code, rendered.payload, strict=True):
            status = code in (codes.ONLINE, codes.OFFLINE)
            topic = status_topic(root, ids[dev]) if status else events_topic(root, ids[dev])
            links.publish(self.link_of[dev], topic, payload.encode(), retain=status)
            if self.tap is not None:
                self.tap.write(self.wire.line(dev, code, payload))
        self.stats.published += len(rendered.dev)
        self.stats.events += sum(1 for c in rendered.code if c < codes.ONLINE)
        self.links.pump(0.0)

    def _power_off(self) -> None:
        """Devices power off with the simulator: each says ``offline`` (retained)."""
        self._publish(online_rows(self.now_sim, len(self.world.devices), codes.OFFLINE))
        if not self.links.flush():
            log.warning("%s messages were not acknowledged before shutdown", self.links.pending())

    def _command(self, topic: str, payload: bytes) -> None:
        """A ``checkin_prompt`` is answered, or not, the way this elder would."""
        parts = topic.split("/")
        device = self.index.get(parts[-2]) if len(parts) >= 2 else None
        try:
            command = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if device is None or type(command) is not dict or command.get("cmd") != "checkin_prompt":
            return
        self.stats.prompts += 1
        answer = answer_time(self.world, device, command, self.now_sim, self.busy)
        if answer is not None:
            self.stats.answered += 1
            heapq.heappush(self.adhoc, (round(answer, 3), device))


def _produce(
    gen: Generator, out: queue.Queue[Chunk | None], stop: threading.Event, want: threading.Semaphore
) -> None:
    for chunk in _paced(gen, want, stop):
        while not stop.is_set():
            try:
                out.put(chunk, timeout=0.1)
                break
            except queue.Full:
                continue
        if stop.is_set():
            return
    while not stop.is_set():
        try:
            out.put(None, timeout=0.1)
            return
        except queue.Full:
            continue


def _paced(gen: Generator, want: threading.Semaphore, stop: threading.Event) -> Iterator[Chunk]:
    """Generate the next day only when the publisher has taken the previous one."""
    days = gen.chunks()
    while not stop.is_set():
        if not want.acquire(timeout=0.1):
            continue
        chunk = next(days, None)
        if chunk is None:
            return
        yield chunk


def _slice(chunk: Chunk, i: int, j: int) -> Chunk:
    return _reorder(chunk, slice(i, j))


def _reorder(chunk: Chunk, rows: slice | npt.NDArray[np.intp]) -> Chunk:
    return Chunk(
        start=chunk.start,
        end=chunk.end,
        t=chunk.t[rows],
        dev=chunk.dev[rows],
        code=chunk.code[rows],
        value=chunk.value[rows],
        shift=chunk.shift[rows],
        battery=chunk.battery[rows],
        aux=chunk.aux[rows],
        side=chunk.side,
    )
