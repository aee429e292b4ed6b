"""An abusive HTTP client, run as a process of its own by tests/api/test_loop_under_abuse.py
(a client is another process: only the server's side may share the gateway's loop).

``python -m tests.api.abuser PORT STAFF_TOKEN ADMIN_TOKEN SECONDS`` prints one JSON list of
``[status, seconds]``, an answer each.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Final

import httpx
import orjson

TEN_MB: Final = 10 * 1024 * 1024
# Each kind ten times a second: 50 abusive requests a second, 25 MB/s offered. A client
# sending without pause measures the machine's CPU share, not what one request costs.
PACE_S: Final = 0.1
KINDS: Final = (
    "declared_10_mb",
    "chunked_10_mb",
    "nested_500000_deep",
    "list_of_150000_ids",
    "unknown_list_of_450000",
)
CLOSED: Final = 0  # the status noted when the server closed the connection mid-upload

Abuse = Callable[[], Awaitable[int]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def raw_request(port: int, head: bytes, chunks: int = 0) -> int:
    """Send ``head`` and then, until an answer comes, up to ``chunks`` chunks of 64 KiB of
    a chunked body; the answer's status (0 when the server closed without one)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def body() -> None:
        piece = b" " * 65536  # JSON whitespace: only the size gives it away
        try:
            for _ in range(chunks):
                writer.write(b"10000\r\n" + piece + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            return  # refused and closed: the answer is read by the caller

    writer.write(head)
    sending = asyncio.create_task(body())
    try:
        line = await reader.readline()
    except ConnectionError:
        # The server answered and closed while this client was still sending: TCP may then
        # reset the connection before the answer is read.
        return CLOSED
    finally:
        sending.cancel()
        writer.close()
    return int(line.split()[1]) if line else 0


Answer = tuple[str, int, float]


async def abuse_for(port: int, staff: str, admin: str, seconds: float) -> list[Answer]:
    """Every kind of abusive request, in parallel, each kind again every ``PACE_S`` (or as
    soon as its last answer came, when that took longer) for ``seconds``: each answer's
    kind, status and how long it took."""
    end = time.monotonic() + seconds
    answers: list[Answer] = []
    # A connection a request each: a kept-alive one that the server closed after its last
    # answer (idle, or a body it answered without reading whole) fails the next request on
    # it as "closed", without the server having seen that request at all.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=fresh
    ) as client:

        async def again(kind: str, abuse: Abuse) -> None:
            while (began := time.monotonic()) < end:
                answers.append((kind, await abuse(), time.monotonic() - began))
                await asyncio.sleep(max(0.0, began + PACE_S - time.monotonic()))

        async with asyncio.TaskGroup() as group:
            for kind, abuse in abuses(port, client, staff, admin).items():
                group.create_task(again(kind, abuse))
    return answers


def abuses(port: int, client: httpx.AsyncClient, staff: str, admin: str) -> dict[str, Abuse]:
    auth = f"Authorization: Bearer {staff}\r\n".encode()
    declared = (
        b"POST /api/v1/elders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + auth
        + f"Content-Length: {TEN_MB}\r\n\r\n".encode()
    )
    chunked = (
        b"POST /api/v1/visits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + auth
        + b"Transfer-Encoding: chunked\r\n\r\n"
    )
    depth = 500_000  # 1 MB of brackets: just under the 1 MiB cap
    nested = b"[" * depth + b"]" * depth
    long_list = orjson.dumps({"ids": list(range(1, 150_000))})
    extra_list = orjson.dumps({"id": "KP-9", "name": "王", "town": "赤坎鎮", "x": [0] * 450_000})

    async def post(url: str, content: bytes, token: str) -> int:
        headers = {**bearer(token), "Content-Type": "application/json"}
        try:
            return (await client.post(url, content=content, headers=headers)).status_code
        except (httpx.TransportError, ConnectionError):
            return CLOSED  # as in raw_request: answered and closed while still sending

    return {
        "declared_10_mb": lambda: raw_request(port, declared),
        "chunked_10_mb": lambda: raw_request(port, chunked, chunks=TEN_MB // 65536),
        "nested_500000_deep": lambda: post("/api/v1/elders", nested, staff),
        "list_of_150000_ids": lambda: post("/api/v1/dead-letters/replay", long_list, admin),
        "unknown_list_of_450000": lambda: post("/api/v1/elders", extra_list, staff),
    }


def main() -> None:
    port, staff, admin, seconds = sys.argv[1:5]
    answers = asyncio.run(abuse_for(int(port), staff, admin, float(seconds)))
    sys.stdout.buffer.write(orjson.dumps(answers))


if __name__ == "__main__":
    main()
