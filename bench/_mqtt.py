"""A minimal MQTT 3.1.1 QoS 1 publisher on a raw socket, for the benchmark only.

paho-mqtt manages 10–16k QoS 1 publishes a second here, which would make the publisher the
bottleneck of the measurement. This one pre-encodes PUBLISH packets, writes them in large
buffers and counts the broker's PUBACKs on a reader thread, keeping a bounded number of
messages in flight (never more than the 65 535 packet identifiers MQTT allows). Every
message is still a real QoS 1 publish that the broker acknowledges.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Message = tuple[bytes, bytes]  # (topic, payload)

_PUBACK = 0x40
_MAX_PACKET_ID = 65535


class PublishError(RuntimeError):
    """The broker refused the connection or closed it mid-stream."""


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | 0x80 if length else byte)
        if not length:
            return bytes(out)


def encode_connect(client_id: str, keepalive: int = 60) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session: the publisher needs no session of its own."""
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02" + struct.pack("!H", keepalive)
    body += struct.pack("!H", len(cid)) + cid
    return b"\x10" + _remaining_length(len(body)) + body


def encode_publish(topic: bytes, payload: bytes, packet_id: int) -> bytes:
    """PUBLISH at QoS 1 (fixed header 0x32), not retained."""
    length = 2 + len(topic) + 2 + len(payload)
    head = b"\x32" + _remaining_length(length) + struct.pack("!H", len(topic))
    return head + topic + struct.pack("!H", packet_id) + payload


@dataclass(frozen=True, slots=True)
class PublishStats:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("inf")


class RawPublisher:
    """One connection; ``publish`` returns once every message has its PUBACK."""

    def __init__(self, url: str, client_id: str, *, window: int = 20_000) -> None:
        if not 0 < window < _MAX_PACKET_ID:
            raise ValueError("window must leave packet identifiers free for reuse")
        parts = urlsplit(url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 1883)
        self._client_id = client_id
        self._window = window
        self._sock: socket.socket | None = None
        self._acked = 0
        self._cond = threading.Condition()
        self._error: str | None = None
        self._reader: threading.Thread | None = None
        self._next_id = 0
        self._sent_total = 0

    def __enter__(self) -> RawPublisher:
        sock = socket.create_connection(self._address, timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(encode_connect(self._client_id))
        connack = _recv_exact(sock, 4)
        if connack[0] != 0x20 or connack[3] != 0:
            sock.close()
            raise PublishError(f"broker refused the connection: {connack.hex()}")
        sock.settimeout(None)
        self._sock = sock
        self._reader = threading.Thread(target=self._read_acks, name="puback-reader", daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(b"\xe0\x00")  # DISCONNECT
            self._sock.close()
        if self._reader is not None:
            self._reader.join(timeout=5)

    def _read_acks(self) -> None:
        assert self._sock is not None
        pending = b""
        while True:
            try:
                chunk = self._sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._error = self._error or "connection closed by the broker"
                    self._cond.notify_all()
                return
            pending += chunk
            whole = len(pending) - len(pending) % 4
            packets, pending = pending[:whole], pending[whole:]
            # Only PUBACKs (4 bytes each) come back to a QoS 1 publisher without a session.
            if packets[::4].strip(bytes([_PUBACK])):
                with self._cond:
                    self._error = "unexpected packet from the broker"
                    self._cond.notify_all()
                return
            with self._cond:
                self._acked += whole // 4
                self._cond.notify_all()

    def _wait_acked(self, at_least: int) -> None:
        with self._cond:
            while self._acked < at_least and self._error is None:
                self._cond.wait(timeout=30)
            if self._error is not None:
                raise PublishError(self._error)

    def _encode(self, messages: Iterable[Message]) -> tuple[bytes, int]:
        parts = []
        for topic, payload in messages:
            self._next_id = self._next_id % _MAX_PACKET_ID + 1
            parts.append(encode_publish(topic, payload, self._next_id))
        return b"".join(parts), len(parts)

    def send(self, messages: Sequence[Message]) -> None:
        """Write ``messages`` without waiting for their PUBACKs beyond the window."""
        assert self._sock is not None
        chunk = 2_000
        for start in range(0, len(messages), chunk):
            data, count = self._encode(messages[start : start + chunk])
            self._sent_total += count
            self._wait_acked(self._sent_total - self._window)
            self._sock.sendall(data)

    def flush(self) -> None:
        """Return once every message sent so far is acknowledged."""
        self._wait_acked(self._sent_total)

    def publish(self, messages: Sequence[Message]) -> PublishStats:
        started = time.perf_counter()
        self.send(messages)
        self.flush()
        return PublishStats(len(messages), time.perf_counter() - started)

    def publish_paced(
        self, rate: float, seconds: float, make: Callable[[int, float], Message], tick: float = 0.01
    ) -> PublishStats:
        """Publish ``rate`` messages a second for ``seconds``; ``make(i, now)`` builds each."""
        total = int(rate * seconds)
        started = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - started) * rate) + 1)
            if due > sent:
                now = time.time()
                self.send([make(i, now) for i in range(sent, due)])
                sent = due
            time.sleep(tick)  # pacing, not waiting for a condition
        self.flush()
        return PublishStats(total, time.perf_counter() - started)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise PublishError("connection closed by the broker")
        data += chunk
    return data
