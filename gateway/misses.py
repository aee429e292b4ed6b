"""Messages of devices the in-memory registry does not hold: asked of the database first.

The registry learns of a new device by NOTIFY a moment after its registration; a device that
publishes at once must not be refused for being new. A registry miss therefore holds the
message and asks the database, many ids in one query: the misses of ``GATHER_S``, and those
missed while a query is out, are asked together in the next one. A found device joins the
registry (its later messages take the hot path) and its held messages go on, in the order
they came; a device that is not registered is remembered as such for ``NEGATIVE_TTL_S`` (a
flood from one unregistered id costs one query per id per that long), and its messages are
refused as ``unknown_device`` — they too wait ``GATHER_S``, so that a registration whose
notification reached the gateway with them is seen before they are refused.

The registry tells of every change (``Registry.watch``): a notified device leaves the
negative cache at once, and its held messages are let in as soon as the registry holds it,
so that none of its later messages, which then take the hot path, overtakes them. An answer
about a device that changed while the query was out is not trusted (a device deleted
meanwhile must not be brought back): that device is asked again.

A query that fails (the database unreachable) is retried with backoff for as long as the
gateway runs, as the writer retries a commit: the held messages stay unacknowledged, never
refused for it. When the gateway stops they are given up unacknowledged, and the broker
delivers them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import psycopg
from psycopg_pool import PoolTimeout

from devices.registry import DeviceEntry, Registry, find
from devices.schema import Topic
from gateway import metrics
from gateway.batcher import NotAcknowledgedError
from gateway.writer import RETRY_MAX_S
from store.pause import pause
from store.pool import Pool

log = logging.getLogger(__name__)

# Misses are gathered this long before one query asks for all of them. It also lets the
# registry apply a registration's notification that arrived together with the device's
# message (a busy loop serves the MQTT socket first) before that id is refused from the
# negative cache. A few ms on the first message of a new device.
GATHER_S = 0.005
# How long an id the database did not know is refused without asking again. A registration
# clears it at once (its notification), so this only bounds what a flood from an
# unregistered id costs: one query per id per this long.
NEGATIVE_TTL_S = 5.0
# Ids remembered as unregistered: a flood of made-up ids must not grow memory without bound
# (past it, expired entries are dropped, and if that is not enough, all).
NEGATIVE_MAX = 100_000
# Backoff of a failing lookup: the writer's for a failing commit (capped, so that held
# messages go on within moments of the database's return, whatever the outage's length).
_RETRY_FIRST_S = 0.1

_FOUND = metrics.REGISTRY_LOOKUPS.labels(result="found")
_NOT_FOUND = metrics.REGISTRY_LOOKUPS.labels(result="not_found")


@dataclass(frozen=True, slots=True)
class Held:
    """One message waiting for its device to be looked up; ``done`` is what the transport
    waits on before acknowledging it."""

    topic: str
    parsed: Topic
    payload: bytes
    received_at: datetime
    redelivered: bool
    retained: bool
    done: asyncio.Future[None]


# Takes a held message and its device (None: not registered); returns the futures of what
# the message produced (batched events, a dead letter), done when committed.
Settle = Callable[[Held, DeviceEntry | None], list[asyncio.Future[None]]]


class Misses:
    """Holds messages of unknown devices, looks the devices up in batches, lets them go on."""

    def __init__(
        self, registry: Registry, pool: Pool, settle: Settle, *, closing: Callable[[], bool]
    ) -> None:
        self._registry = registry
        self._pool = pool
        self._settle = settle
        self._closing = closing
        self._ttl = NEGATIVE_TTL_S
        self._held: dict[str, deque[Held]] = {}  # per device, in arrival order
        self._queued: set[str] = set()  # to ask in the next query
        self._refusing: set[str] = set()  # in the negative cache: to refuse in the next round
        self._flight: set[str] = set()  # asked in the query that is out
        self._touched: set[str] = set()  # of those, changed in the registry meanwhile
        self._unknown: dict[str, float] = {}  # negative cache: id → refused until (monotonic)
        self._wake = asyncio.Event()
        self._failing = False

    @property
    def waiting(self) -> int:
        """Messages held for a lookup."""
        return sum(len(held) for held in self._held.values())

    def refuses(self, device_id: str) -> bool:
        """The device was looked up lately and is not registered."""
        until = self._unknown.get(device_id)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        del self._unknown[device_id]
        return False

    def hold(self, device_id: str, message: Held) -> asyncio.Future[None]:
        """Keep ``message`` until its device is looked up (or, when the database said lately
        that it is not registered, until the next round refuses it); returns its ``done``."""
        if self._closing():
            raise NotAcknowledgedError("the gateway is stopping")
        held = self._held.get(device_id)
        if held is None:
            held = self._held[device_id] = deque()
            if self.refuses(device_id):
                self._refusing.add(device_id)
            elif device_id not in self._flight:
                self._queued.add(device_id)
            self._wake.set()
        held.append(message)
        return message.done

    async def run(self, stop: asyncio.Event) -> None:
        """Look up what is held until ``stop``; then give up what is left, unacknowledged."""
        self._registry.watch(self._changed)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                waking = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waking, stopping}, return_when=asyncio.FIRST_COMPLETED)
                waking.cancel()
                if stop.is_set():
                    return
                await asyncio.wait({stopping}, timeout=GATHER_S)
                if stop.is_set():
                    return
                self._wake.clear()
                self._refuse()
                # A query that hangs must not hold the gateway's stop.
                asking = asyncio.ensure_future(self._round(stop))
                await asyncio.wait({asking, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not asking.done():
                    asking.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asking
                    return
                asking.result()
        finally:
            stopping.cancel()
            self._registry.unwatch(self._changed)
            self._abandon(list(self._held))

    def _refuse(self) -> None:
        """Refuse the held messages of ids still in the negative cache; a registration
        notified meanwhile took its id out, and the id is asked again."""
        refusing, self._refusing = self._refusing, set()
        for device_id in refusing:
            if self.refuses(device_id):
                self._flush(device_id, None)
            elif device_id in self._held and device_id not in self._flight:
                self._queued.add(device_id)

    async def _round(self, stop: asyncio.Event) -> None:
        ids = list(self._queued)
        self._queued.clear()
        if not ids:
            return
        self._flight.update(ids)
        self._touched.clear()
        found = await self._ask(ids, stop)
        if found is None:  # stopping, the database still failing
            self._flight.clear()
            self._abandon(ids)
            return
        now = time.monotonic()
        for device_id in ids:
            self._answer(device_id, found.get(device_id), now)
        self._flight.clear()
        self._touched.clear()
        if self._queued:
            self._wake.set()

    async def _ask(self, ids: Sequence[str], stop: asyncio.Event) -> dict[str, DeviceEntry] | None:
        """The registered devices among ``ids``; None when the gateway stops first."""
        delay = _RETRY_FIRST_S
        while True:
            try:
                async with self._pool.connection() as conn:
                    found = await find(conn, ids)
            except (psycopg.Error, PoolTimeout) as exc:
                metrics.REGISTRY_LOOKUP_FAILURES.inc()
                if not self._failing:
                    # Class and SQLSTATE only: a psycopg message can quote values.
                    log.error(
                        "looking up %s unregistered device ids failed (%s, SQLSTATE %s);"
                        " their messages wait unacknowledged, retrying",
                        len(ids),
                        type(exc).__name__,
                        getattr(exc, "sqlstate", None),
                    )
                self._failing = True
                if self._closing():
                    return None
                await pause(stop, delay)
                if stop.is_set():
                    return None
                delay = min(delay * 2, RETRY_MAX_S)
            else:
                if self._failing:
                    log.info("device lookups succeed again")
                self._failing = False
                return found

    def _answer(self, device_id: str, entry: DeviceEntry | None, now: float) -> None:
        (_NOT_FOUND if entry is None else _FOUND).inc()
        if device_id in self._touched:
            # Changed while the query was out: the registry knows better, or we ask again.
            current = self._registry.get(device_id)
            if current is not None:
                self._flush(device_id, current)
            elif device_id in self._held:
                self._queued.add(device_id)
            return
        if device_id not in self._held:
            return
        if entry is None:
            self._remember_unknown(device_id, now)
        else:
            self._registry.add(device_id, entry)
        self._flush(device_id, entry)

    def _changed(self, device_id: str | None) -> None:
        """The registry changed (``None``: reloaded whole)."""
        if device_id is None:
            self._unknown.clear()
            self._touched.update(self._flight)
            changed = list(self._held)
        else:
            self._unknown.pop(device_id, None)
            if device_id in self._flight:
                self._touched.add(device_id)
            changed = [device_id] if device_id in self._held else []
        for held_id in changed:
            entry = self._registry.get(held_id)
            if entry is not None:
                # Now, before any later message of the device takes the hot path.
                self._flush(held_id, entry)

    def _remember_unknown(self, device_id: str, now: float) -> None:
        if len(self._unknown) >= NEGATIVE_MAX:
            self._unknown = {k: until for k, until in self._unknown.items() if until > now}
            if len(self._unknown) >= NEGATIVE_MAX:
                self._unknown.clear()
        self._unknown[device_id] = now + self._ttl

    def _flush(self, device_id: str, entry: DeviceEntry | None) -> None:
        """Let the device's held messages go on, in order."""
        self._queued.discard(device_id)
        self._refusing.discard(device_id)
        for message in self._held.pop(device_id, ()):
            try:
                futures = self._settle(message, entry)
            except NotAcknowledgedError as exc:
                _fail(message.done, exc)
                continue
            inner = futures[0] if len(futures) == 1 else asyncio.gather(*set(futures))
            inner.add_done_callback(partial(_follow, message.done))

    def _abandon(self, ids: Sequence[str]) -> None:
        for device_id in ids:
            self._queued.discard(device_id)
            self._refusing.discard(device_id)
            for message in self._held.pop(device_id, ()):
                _fail(message.done, NotAcknowledgedError("stopping before the device was found"))


def _follow(outer: asyncio.Future[None], inner: asyncio.Future[object]) -> None:
    if outer.done():
        return
    if inner.cancelled():
        _fail(outer, NotAcknowledgedError("the message's batch was cancelled"))
        return
    exc = inner.exception()
    if exc is None:
        outer.set_result(None)
    else:
        _fail(outer, exc)


def _fail(future: asyncio.Future[None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # retrieved: a QoS 0 handler that was cancelled never will
