"""Server-sent events (``text/event-stream``): the wire format, and a response that ends as
soon as the client goes away.

Starlette's ``StreamingResponse`` under an ASGI 2.4 server notices a client that left only
when its next write fails; a stream that writes every 15 s would keep a gone client's slot
that long. ``EventStreamResponse`` listens for the disconnect beside the stream, and calls
``on_close`` however the stream ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Final

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

MEDIA_TYPE: Final = "text/event-stream"
# No cache may keep a stream, and nginx must pass it on unbuffered.
_HEADERS: Final = {"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"}


def event(event_id: int, name: str, data: bytes) -> bytes:
    """One event; ``data`` must be a single line (compact JSON is)."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, name.encode(), data)


def comment(text: str) -> bytes:
    """A comment line: clients ignore it; it keeps proxies from closing an idle stream."""
    return b": %s\n\n" % text.encode()


def retry(milliseconds: int) -> bytes:
    """How long a client's EventSource waits before it reconnects."""
    return b"retry: %d\n\n" % milliseconds


class EventStreamResponse(StreamingResponse):
    media_type = MEDIA_TYPE

    def __init__(self, content: AsyncIterator[bytes], *, on_close: Callable[[], None]) -> None:
        super().__init__(content, headers=_HEADERS)
        self._on_close = on_close
        self._content = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    with contextlib.suppress(OSError):  # the client left mid-write
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            self._on_close()
            with anyio.CancelScope(shield=True):
                aclose = getattr(self._content, "aclose", None)
                if aclose is not None:
                    await aclose()
