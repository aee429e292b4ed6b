"""Helpers for ingest tests: registering devices, publishing through the real broker,
running a gateway in the test's loop, and polling the database with a deadline."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import paho.mqtt.client as paho
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from gateway.service import Gateway
from store.pool import Pool
from tanfang.settings import Settings

T = TypeVar("T")

DEADLINE_S = 15.0


async def poll(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    *,
    deadline_s: float = DEADLINE_S,
    what: str = "condition",
) -> T:
    """Call ``probe`` until ``until(result)`` holds; fail after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        result = await probe()
        if until(result):
            return result
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {deadline_s}s; last: {result!r}")
        await asyncio.sleep(0.02)


def probe(read: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A synchronous reading as the coroutine that ``poll`` calls."""

    async def reading() -> T:
        return read()

    return reading


async def fetch(url: str, query: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SET TIME ZONE 'UTC'")
        cur = await conn.execute(query, tuple(params))
        return await cur.fetchall()


async def stored_seqs(url: str) -> tuple[int, int, int | None, int | None]:
    """Events with a seq stored: how many, how many distinct (device, seq), the lowest and the
    highest seq. A stream of seqs 0…N-1 stored exactly once reads (N, N, 0, N-1)."""
    (row,) = await fetch(
        url,
        "SELECT count(*), count(DISTINCT (device_id, seq)), min(seq), max(seq)"
        " FROM events WHERE seq IS NOT NULL",
    )
    return (row[0], row[1], row[2], row[3])


async def execute(url: str, query: str, params: Iterable[Any] = ()) -> None:
    """One statement, committed."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(query, tuple(params))


async def scalar(url: str, query: str, params: Iterable[Any] = ()) -> Any:
    rows = await fetch(url, query, params)
    return rows[0][0]


async def register(
    url: str, devices: Iterable[str], elder_id: str = "KP-1", device_type: str = "motion_sensor"
) -> None:
    """An elder and her devices, written straight to the tables (the API is not under test).
    The type decides which kinds a device may send (devices.kinds.ALLOWED_KINDS)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO elders (id, name) VALUES (%s, 'test elder') ON CONFLICT DO NOTHING",
            (elder_id,),
        )
        for device_id in devices:
            await conn.execute(
                "INSERT INTO devices (id, type, elder_id) VALUES (%s, %s, %s)",
                (device_id, device_type, elder_id),
            )


class Publisher:
    """A paho-mqtt client (the devices' library) that waits for each PUBACK."""

    def __init__(
        self, mqtt_url: str, *, client_id: str | None = None, ca_file: Path | None = None
    ) -> None:
        """``mqtts://`` URLs are verified against ``ca_file`` (as a device would)."""
        parts = urlsplit(mqtt_url)
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-pub-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv311,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        tls = parts.scheme == "mqtts"
        if tls:
            self.client.tls_set(ca_certs=str(ca_file) if ca_file else None)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (8883 if tls else 1883)

    def will(self, topic: str, payload: bytes) -> None:
        self.client.will_set(topic, payload, qos=1, retain=True)

    def connect(self) -> None:
        self.client.connect(self._host, self._port, keepalive=60)
        self.client.loop_start()

    def publish(
        self, topic: str, payload: bytes | str, *, retain: bool = False, wait: bool = True
    ) -> paho.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if wait:
            info.wait_for_publish(timeout=DEADLINE_S)
            assert info.is_published(), f"no PUBACK for {topic}"
        return info

    def drop(self) -> None:
        """Close the socket without DISCONNECT, as a device losing power would."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def running_gateway(settings: Settings, **changes: Any) -> AbstractAsyncContextManager[Gateway]:
    """A plain gateway in the test's event loop, ready (subscribed) when entered."""
    return running(Gateway(settings.model_copy(update={"batch_max_ms": 20, **changes})))


@asynccontextmanager
async def running(gateway: Gateway) -> AsyncIterator[Gateway]:
    """``gateway`` run in the test's event loop, ready (subscribed) when entered."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(gateway.run(stop, ready), name="test-gateway")
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiting}, timeout=DEADLINE_S, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()  # raises the gateway's error
    assert ready.is_set(), "gateway not ready in time"
    try:
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=DEADLINE_S)


class FaultyPool:
    """The real pool, except that ``connection()`` raises the given errors first, in turn,
    once ``after`` connections have been handed out: a database link failing mid-work."""

    def __init__(self, pool: Pool, errors: Iterable[BaseException], *, after: int = 0) -> None:
        self._pool = pool
        self._errors = list(errors)
        self._after = after
        self.calls = 0

    def connection(self, timeout: float | None = None) -> Any:
        self.calls += 1
        if self.calls > self._after and self._errors:
            raise self._errors.pop(0)
        return self._pool.connection(timeout)

    def as_pool(self) -> Pool:
        return cast("Pool", self)
