"""Every registered device in memory: device id → (elder id, device type).

The gateway looks a device up for every message, so the registry is a plain dict read
without a database round trip. It is loaded at start and kept current by LISTEN on
``tanfang_devices`` (the trigger of 0001_core.sql sends ``upsert:<id>`` / ``delete:<id>``).
A NOTIFY sent while the listening connection is down is lost, so the registry is reloaded
whole every time that connection is (re)opened, and on a timer as a safety net.

Notifications are applied as they arrive. Whoever keeps state derived from the registry (the
gateway's lookup of devices it does not hold, ``gateway.misses``) is told of every change
through ``watch``: a device id when that device was notified or changed, ``None`` after a
whole reload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import AsyncConnection

from store.db import Conn
from store.pause import pause

log = logging.getLogger(__name__)

CHANNEL = "tanfang_devices"

# The longest wait between two attempts to reopen the listening link. Doubling from 0.5 s
# without a cap (it was 30 s) left the registry deaf to fleet changes for up to half a minute
# after the database came back; an attempt to a down server is refused at once, so trying
# every second costs nothing.
RECONNECT_MAX_S = 1.0

_SELECT_ALL = "SELECT id, elder_id, type FROM devices"
_SELECT_ONE = "SELECT id, elder_id, type FROM devices WHERE id = %s"
_SELECT_MANY = "SELECT id, elder_id, type FROM devices WHERE id = ANY(%s)"

# Told of a change: the device id, or None when the whole map was reloaded.
Listener = Callable[[str | None], None]


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    elder_id: str | None
    type: str


class Registry:
    """The registered devices. ``get`` is the hot path; ``run`` keeps the map current."""

    def __init__(self) -> None:
        self._devices: dict[str, DeviceEntry] = {}
        self._listeners: list[Listener] = []
        self.loaded = asyncio.Event()
        self.reloads = 0

    def get(self, device_id: str) -> DeviceEntry | None:
        return self._devices.get(device_id)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def __len__(self) -> int:
        return len(self._devices)

    def watch(self, listener: Listener) -> None:
        """Call ``listener`` on every change, synchronously, after the map has changed (and,
        for an ``upsert`` notification, also on its arrival, before the device is re-read)."""
        self._listeners.append(listener)

    def unwatch(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _changed(self, device_id: str | None) -> None:
        for listener in self._listeners:
            listener(device_id)

    def add(self, device_id: str, entry: DeviceEntry) -> None:
        """Hold a device found in the database before its notification was applied."""
        self._devices[device_id] = entry

    async def load(self, conn: Conn) -> None:
        """Replace the whole map with what the database holds now."""
        cur = await conn.execute(_SELECT_ALL)
        fresh: dict[str, DeviceEntry] = {}
        # Entries are shared between devices of one elder and type: 10 000 devices cost a
        # dict and a few hundred small objects, not 10 000.
        shared: dict[tuple[str | None, str], DeviceEntry] = {}
        for device_id, elder_id, type_ in await cur.fetchall():
            key = (elder_id, type_)
            entry = shared.get(key)
            if entry is None:
                entry = shared[key] = DeviceEntry(elder_id, type_)
            fresh[device_id] = entry
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await conn.commit()
        self._devices = fresh
        self.reloads += 1
        self.loaded.set()
        self._changed(None)
        log.info("device registry loaded: %s devices", len(fresh))

    async def refresh(self, conn: Conn, device_id: str) -> None:
        """Re-read one device (after an ``upsert`` notification)."""
        cur = await conn.execute(_SELECT_ONE, (device_id,))
        row = await cur.fetchone()
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await conn.commit()
        if row is None:
            self._devices.pop(device_id, None)
        else:
            self._devices[device_id] = DeviceEntry(row[1], row[2])
        self._changed(device_id)

    def forget(self, device_id: str) -> None:
        self._devices.pop(device_id, None)
        self._changed(device_id)

    async def run(self, url: str, stop: asyncio.Event, *, reload_s: float = 300.0) -> None:
        """Listen and reload until ``stop``; reconnect with backoff when the link drops."""
        delay = 0.5
        while not stop.is_set():
            try:
                await self._listen(url, stop, reload_s)
                delay = 0.5
            except psycopg.OperationalError as exc:
                # Class and SQLSTATE only: a psycopg message can quote row values.
                log.warning(
                    "device registry link lost (%s, SQLSTATE %s); retrying in %.1fs",
                    type(exc).__name__,
                    exc.sqlstate,
                    delay,
                )
                await pause(stop, delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _listen(self, url: str, stop: asyncio.Event, reload_s: float) -> None:
        async with await AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(CHANNEL)))
            # LISTEN first, then load: a change between the two is seen by both, never by none.
            await self.load(conn)
            while not stop.is_set():
                await self._drain(conn, stop, reload_s)
                if not stop.is_set():
                    await self.load(conn)

    async def _drain(self, conn: Conn, stop: asyncio.Event, wait: float) -> None:
        """Apply notifications until ``wait`` seconds have passed or ``stop`` is set."""
        loop = asyncio.get_running_loop()
        end = loop.time() + wait
        while not stop.is_set():
            left = end - loop.time()
            if left <= 0:
                return
            # notifies(timeout=) returns after the timeout; a short slice lets stop be seen.
            # stop_after=1 returns with the first packet's notifications, so that they are
            # applied at once: a deleted device is refused from its next message on. Those
            # arriving while a device is re-read wait in psycopg's backlog for the next turn.
            pending: list[str] = []
            async for note in conn.notifies(timeout=min(left, 1.0), stop_after=1):
                pending.append(note.payload)
            for payload in pending:
                await self._apply(conn, payload)

    async def _apply(self, conn: Conn, payload: str) -> None:
        op, _, device_id = payload.partition(":")
        if op == "delete":
            self.forget(device_id)
        elif op == "upsert":
            self._changed(device_id)  # at once: a device may be waiting to be let in
            await self.refresh(conn, device_id)
        else:
            log.warning("ignored registry notification with operation %r", op[:20])


async def find(conn: Conn, device_ids: Sequence[str]) -> dict[str, DeviceEntry]:
    """The registered devices among ``device_ids``, in one query."""
    cur = await conn.execute(_SELECT_MANY, (list(device_ids),))
    rows = await cur.fetchall()
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        await conn.commit()
    return {device_id: DeviceEntry(elder_id, type_) for device_id, elder_id, type_ in rows}
