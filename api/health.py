"""``/healthz``: the state of the database and broker connections.

A gateway running in the same process answers for the broker (``HealthSource``); without
one, the API checks that the broker accepts TCP connections, at most every few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import urlsplit


class HealthSource(Protocol):
    """Something that knows the broker connection's state, e.g. a running gateway.

    ``health()`` answers at least ``{"broker": {"connected": bool, ...}}``; it must be quick
    and must not block (it is called on every ``/healthz``).
    """

    def health(self) -> Mapping[str, object]: ...


class BrokerProbe:
    """Checks the broker by opening a TCP connection; the answer is kept ``ttl_s`` seconds."""

    def __init__(
        self,
        url: str | None,
        *,
        timeout_s: float = 1.0,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._address = _address(url)
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._clock = clock
        self._cached: tuple[float, dict[str, object]] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> dict[str, object]:
        async with self._lock:  # concurrent probes share one connection attempt
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._ttl_s:
                return self._cached[1]
            answer = await self._connect()
            self._cached = (self._clock(), answer)
            return answer

    async def _connect(self) -> dict[str, object]:
        if self._address is None:
            return {"connected": False, "configured": False, "checked_by": "api"}
        host, port = self._address
        answer: dict[str, object] = {"checked_by": "api", "address": f"{host}:{port}"}
        try:
            async with asyncio.timeout(self._timeout_s):
                _, writer = await asyncio.open_connection(host, port)
            writer.close()
            await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            return {**answer, "connected": False, "error": type(exc).__name__}
        return {**answer, "connected": True}


def _address(url: str | None) -> tuple[str, int] | None:
    """Host and port of the ``mqtt://`` / ``mqtts://`` broker URL (the gateway's forms);
    credentials are never kept (the address ends up in answers)."""
    parts = urlsplit(url or "")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:  # a port that is not a number
        return None
    return None if parts.hostname is None else (parts.hostname, port)
