"""A real local HTTP server that receives webhooks, for tests, end-to-end runs and benches.

    async with WebhookReceiver() as rx:
        channel = WebhookChannel(rx.url, secret)
        ...
        [first] = await rx.wait_for(1, timeout=5)
        first.body["alert"]["id"], first.headers["x-tanfang-signature"], first.at

``rx.mode`` says how it answers from the next request on:

- ``"ok"``: 200;
- ``"fail500"`` / ``"fail404"``: that status;
- ``"redirect"``: 302 to another path of the receiver;
- ``"hang"``: never answers (the request is recorded first) until ``rx.release()`` (then
  200) or the receiver closes;
- ``"close"``: closes the connection without an answer.

``await rx.stop_listening()`` closes the listening socket: new connections are refused.
``refused_url()`` is a URL where nothing listens. Plain asyncio, HTTP/1.1 with
``Content-Length`` bodies and keep-alive (what httpx sends), nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal

import orjson

from tests.rig.ports import free_port

Mode = Literal["ok", "fail500", "fail404", "redirect", "hang", "close"]
PATH: Final = "/hook"
_STATUS: Final[dict[str, tuple[int, str]]] = {
    "ok": (200, "OK"),
    "fail500": (500, "Internal Server Error"),
    "fail404": (404, "Not Found"),
    "redirect": (302, "Found"),
}
# Far above any notification; a bigger head is not a webhook of ours.
_MAX_HEAD_BYTES: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Received:
    """One request as it arrived: the JSON body (empty when it was not a JSON object), the
    bytes as sent (what a signature covers), headers by lower-case name, and ``at`` the
    wall-clock time (``time.time()``) when it had been read whole."""

    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    at: float
    path: str = PATH


def refused_url() -> str:
    """A URL on the loopback where nothing listens (a connection is refused)."""
    return f"http://127.0.0.1:{free_port()}{PATH}"


@dataclass
class WebhookReceiver:
    """A webhook receiver on 127.0.0.1 (``port`` 0: a free one); ``url`` once entered."""

    mode: Mode = "ok"
    port: int = 0
    requests: list[Received] = field(default_factory=list, init=False)
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition, init=False, repr=False)
    _release: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, init=False, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("enter the receiver first: async with WebhookReceiver() as rx")
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, limit=_MAX_HEAD_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_listening()
        # Handlers end on their own (hanging ones released, connections closed under them):
        # a cancelled handler task makes asyncio's stream protocol (3.11) log its
        # CancelledError as an unhandled exception.
        self._release.set()
        for writer in list(self._writers):
            writer.close()
        if self._handlers:
            _, stragglers = await asyncio.wait(set(self._handlers), timeout=1.0)
            for task in stragglers:
                task.cancel()
            await asyncio.gather(*stragglers, return_exceptions=True)

    async def stop_listening(self) -> None:
        """Close the listening socket: connections made from now on are refused (those
        open stay as they are)."""
        if self._server is not None and self._server.is_serving():
            self._server.close()

    def release(self) -> None:
        """Answer 200 to every request hanging now (later ones hang while mode is hang)."""
        self._release.set()
        self._release = asyncio.Event()

    # The bench and the end-to-end tests call wait_for(n, timeout): a bound of its own
    # reads better there than an asyncio.timeout block around every call.
    async def wait_for(self, n: int, timeout: float = 5.0) -> list[Received]:  # noqa: ASYNC109
        """The requests received, once there are at least ``n``; TimeoutError after
        ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout), self._arrived:
                await self._arrived.wait_for(lambda: len(self.requests) >= n)
        except TimeoutError:
            raise TimeoutError(
                f"{len(self.requests)} of {n} webhook requests after {timeout} s"
            ) from None
        return list(self.requests)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away: nothing to answer
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read and answer one request; False when the connection is done."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        target = request_line.split(" ")[1] if request_line.count(" ") >= 2 else ""
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        raw = await reader.readexactly(length) if length else b""
        await self._record(Received(_json(raw), raw, headers, time.time(), target))
        mode = self.mode
        if mode == "close":
            return False
        if mode == "hang":
            await self._release.wait()
            mode = "ok"
        status, reason = _STATUS[mode]
        location = f"Location: {PATH}/elsewhere\r\n" if mode == "redirect" else ""
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\n{location}Content-Type: text/plain\r\n"
            f"Content-Length: 2\r\n\r\n".encode()
            + b"ok"
        )
        await writer.drain()
        return True

    async def _record(self, received: Received) -> None:
        async with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()


def _json(raw: bytes) -> dict[str, Any]:
    with contextlib.suppress(orjson.JSONDecodeError):
        loaded = orjson.loads(raw)
        if isinstance(loaded, dict):
            return loaded
    return {}
