"""Many paho-mqtt connections driven from one thread with a selector (no paho threads).

paho writes a publish straight to the socket when no loop thread is running; the selector
only waits for what the broker sends back (CONNACK, PUBACK, commands) and for sockets that
could not take everything at once.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]


class MqttError(RuntimeError):
    """The broker could not be reached or refused us."""


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> Broker:
    """``mqtt://user:pass@host:1883`` or ``mqtts://…`` (TLS, port 8883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"not an MQTT URL: {url!r} (use mqtt:// or mqtts://)")
    tls = parts.scheme in ("mqtts", "ssl")
    return Broker(
        host=parts.hostname or "localhost",
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Links:
    """A set of MQTT connections pumped by ``pump()`` from the caller's thread."""

    def __init__(self, url: str, protocol: str = "5", on_message: Handler | None = None) -> None:
        self.broker = parse_url(url)
        self.v5 = protocol == "5"
        self.on_message = on_message
        self.selector = selectors.DefaultSelector()
        self.clients: list[paho.Client] = []
        self.connected: set[int] = set()
        self.subscriptions: dict[int, list[str]] = {}
        self._last_misc = 0.0
        self._closing = False

    def add(self, client_id: str, will: tuple[str, bytes] | None = None) -> int:
        """A new (not yet connected) connection; returns its number."""
        protocol = paho.MQTTv5 if self.v5 else paho.MQTTv311
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=None if self.v5 else True,
        )
        number = len(self.clients)
        if self.broker.username is not None:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set_context(ssl.create_default_context())
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        client.max_inflight_messages_set(200)
        client.on_socket_open = lambda c, u, sock: self._watch(sock, number)
        client.on_socket_close = lambda c, u, sock: self._unwatch(sock)
        client.on_connect = lambda c, u, f, rc, p=None: self._connected(number, rc)
        client.on_disconnect = lambda c, u, f, rc, p=None: self.connected.discard(number)
        client.on_message = self._message
        self.clients.append(client)
        return number

    def subscribe(self, number: int, topic: str) -> None:
        self.subscriptions.setdefault(number, []).append(topic)
        if number in self.connected:
            self.clients[number].subscribe(topic, qos=1)

    def connect(self, deadline_s: float = 30.0) -> None:
        """Open every connection and wait for all CONNACKs."""
        for client in self.clients:
            try:
                client.connect(self.broker.host, self.broker.port, keepalive=60)
            except (OSError, ssl.SSLError) as exc:
                raise MqttError(
                    f"cannot reach the broker at {self.broker.host}:{self.broker.port}: {exc}"
                ) from exc
        deadline = time.monotonic() + deadline_s
        while len(self.connected) < len(self.clients):
            if time.monotonic() > deadline:
                raise MqttError(
                    f"{len(self.clients) - len(self.connected)} connections got no CONNACK"
                )
            self.pump(0.05)

    def publish(self, number: int, topic: str, payload: bytes, retain: bool = False) -> None:
        self.clients[number].publish(topic, payload, qos=1, retain=retain)

    def pump(self, timeout: float) -> None:
        """Handle broker traffic for up to ``timeout`` seconds."""
        for key, _ in self.selector.select(timeout if timeout > 0 else 0):
            self.clients[key.data].loop_read(100)
        for client in self.clients:
            if client.want_write():
                client.loop_write()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for number, client in enumerate(self.clients):
                client.loop_misc()
                if number not in self.connected and client.socket() is None and not self._closing:
                    self._reconnect(number)

    def pending(self) -> int:
        """Publishes not yet acknowledged by the broker."""
        return sum(len(c._out_messages) for c in self.clients)

    def flush(self, deadline_s: float = 10.0) -> bool:
        deadline = time.monotonic() + deadline_s
        while self.pending() and time.monotonic() < deadline:
            self.pump(0.02)
        return not self.pending()

    def close(self) -> None:
        # No reconnecting while closing: a connection that never opened would raise from
        # paho and hide the error that made us close.
        self._closing = True
        for client in self.clients:
            client.disconnect()
        self.pump(0.0)
        self.selector.close()

    def _watch(self, sock: Any, number: int) -> None:
        try:
            self.selector.register(sock, selectors.EVENT_READ, number)
        except KeyError:
            self.selector.modify(sock, selectors.EVENT_READ, number)

    def _unwatch(self, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(sock)

    def _connected(self, number: int, reason: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("broker refused connection %s: %s", number, reason)
            return
        self.connected.add(number)
        for topic in self.subscriptions.get(number, []):
            self.clients[number].subscribe(topic, qos=1)

    def _message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if self.on_message is not None:
            self.on_message(message.topic, bytes(message.payload))

    def _reconnect(self, number: int) -> None:
        try:
            self.clients[number].reconnect()
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            log.warning("reconnect of connection %s failed: %s", number, exc)
