"""A reader of server-sent events with deadlines, for an API app served by a real uvicorn
(``serving``: ASGI transports buffer a response whole, and a stream never ends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson

from tests.simulators.api_server import serving_app

serving = serving_app


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Event:
    id: str | None = None
    event: str = "message"
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return orjson.loads(self.data)


class EventReader:
    """Events of an open ``text/event-stream`` response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines: AsyncIterator[str] = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, within_s: float = 5.0) -> Event:
        """The next event with data (comments are collected on the way); fails after
        ``within_s`` seconds without one."""
        return await asyncio.wait_for(self._next(), timeout=within_s)

    async def _next(self) -> Event:
        current = Event()
        data: list[str] = []
        async for line in self._lines:
            if line == "":
                if data:
                    current.data = "\n".join(data)
                    return current
                current = Event()
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    data.append(value)
                elif name in ("id", "event"):
                    setattr(current, name, value)
        raise EOFError("the stream ended")

    async def comment(self, within_s: float = 5.0) -> str:
        """The next comment line (a heartbeat); events on the way are dropped."""

        async def first() -> str:
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    return self.comments[-1]
            raise EOFError("the stream ended")

        return await asyncio.wait_for(first(), timeout=within_s)

    async def ended(self, within_s: float = 5.0) -> None:
        """Wait for the server to end the stream (events on the way are dropped)."""

        async def drain() -> None:
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())

        await asyncio.wait_for(drain(), timeout=within_s)
