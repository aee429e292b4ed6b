"""Being woken by PostgreSQL notifications: ``LISTEN <channel>`` on a dedicated connection,
reopened when it drops. Followers of a table (the alert feed, the escalator) use it to wake at
a commit instead of polling; they read the table themselves, so a notification lost while
the link was down costs nothing but the wait until the link is back (``woken`` is set each
time it opens)."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import psycopg
from psycopg import AsyncConnection, sql

from store.pause import pause
from store.waits import first_of

log = logging.getLogger(__name__)

# The longest wait between two attempts to reopen the listening link.
RECONNECT_MAX_S: Final = 1.0
RECONNECT_FIRST_S: Final = 0.25


class Wakeup:
    def __init__(self, url: str, channel: str) -> None:
        self._url = url
        self._channel = channel
        self.woken = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; a lost link is logged and reopened with a growing delay."""
        delay = RECONNECT_FIRST_S
        while not stop.is_set():
            try:
                await self._listen(stop)
                delay = RECONNECT_FIRST_S
            except (psycopg.Error, OSError) as exc:
                # Class and SQLSTATE only: a psycopg message can quote row values.
                log.warning(
                    "LISTEN %s link lost (%s, SQLSTATE %s); retrying in %.2fs",
                    self._channel,
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                    delay,
                )
                await pause(stop, delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _listen(self, stop: asyncio.Event) -> None:
        async with await AsyncConnection.connect(self._url, autocommit=True) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self.woken.set()  # anything missed while not listening is looked at now
            while not stop.is_set():
                # A short slice, so that stop is seen; stop_after=1 wakes at the first one.
                async for _ in conn.notifies(timeout=1.0, stop_after=1):
                    self.woken.set()

    async def wait(self, stop: asyncio.Event, wait_s: float) -> None:
        """Until a notification (or the link's reopening), ``stop``, or ``wait_s``."""
        if self.woken.is_set() or stop.is_set():
            return
        await first_of(self.woken.wait(), stop.wait(), limit_s=wait_s)
