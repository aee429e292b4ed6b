"""Request bodies refused before anything parses them: too large (413), or holding too many
JSON values (422).

Parsing JSON and validating it run on the event loop that ingest shares (``tanfang
serve``): a 10 MB body held an SOS's commit back by seconds, and even under the size cap a
body of half a million list items takes the standard parser 0.1 s. ``BodyLimitMiddleware``
answers 413 at once when ``Content-Length`` is over the limit, and counts the bytes of a
body sent without one (chunked), answering 413 as soon as they pass it; while the bytes go
by it counts the commas and brackets (a cheap upper bound of the values in lists and objects) and
answers 422 when they pass ``MAX_JSON_ITEMS``.
"""

from __future__ import annotations

import json
from typing import Final

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One elder's file, a visit or a replay selection of 10 000 ids is well under 100 KiB.
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
# The largest list a client may send is a replay's 10 000 ids (devices.replay); a body with
# twice as many commas is no request of ours, and parses in a few milliseconds at most.
MAX_JSON_ITEMS: Final = 20_000


# The rest of a refused body is never read: the connection closes rather than read (and
# discard) what the client may go on sending.
_CLOSE: Final = {"Connection": "close"}


class BodyRefused(HTTPException):
    """A body refused while it was read. An HTTPException, so that FastAPI (which answers 400
    to any other failure while reading a body) lets it through to the app's handler."""


class BodyTooLarge(BodyRefused):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes), headers=_CLOSE)


class TooManyItems(BodyRefused):
    def __init__(self) -> None:
        # FastAPI's validation shape, naming the body (api/errors.py, docs/api.md).
        problem = f"more than {MAX_JSON_ITEMS} items in the body's lists and objects"
        detail = [{"type": "too_many_items", "loc": ["body"], "msg": problem}]
        super().__init__(422, detail, headers=_CLOSE)


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes`` and 422 for one of too many JSON items, before the
    app parses it; the answer's body is JSON ``{"detail": …}``."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, BodyTooLarge(self.max_bytes))
            return
        seen = items = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, items
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                # Commas separate items, brackets open lists and objects (a million of them
                # nest a million deep): an upper bound of the values, counted at C speed.
                items += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                if items > MAX_JSON_ITEMS:
                    raise TooManyItems
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyRefused as refused:
            if started:
                raise
            await _refuse(send, refused)


async def _refuse(send: Send, refused: BodyRefused) -> None:
    body = json.dumps({"detail": refused.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": refused.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(max_bytes: int) -> str:
    return f"request body over {max_bytes} bytes (TANFANG_API_MAX_BODY_BYTES)"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
