"""The gateway's MQTT session (gmqtt): persistent, QoS 1, acknowledged after commit.

gmqtt with ``optimistic_acknowledgement=False`` sends a QoS 1 message's PUBACK when the
``on_message`` coroutine returns, and sends none when it raises. The handler returns only
after the message's batch is committed, so an acknowledged event is always a stored one.

A PUBACK names a packet id of one connection. After a reconnect, a handler that started on
the old connection must not acknowledge on the new one: if the broker lost the session, the
same id may name another message. Such a handler raises instead; the broker redelivers the
message and the idempotent insert stores it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311
from gmqtt.mqtt.handler import MQTTConnectError

from gateway import metrics
from gateway.batcher import NotAcknowledgedError
from tanfang.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]

_BACKOFF_FIRST_S = 0.5
_BACKOFF_MAX_S = 30.0
_CONNECT_TIMEOUT_S = 30.0


class MqttError(Exception):
    """The broker refused the gateway, or the URL is not usable."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> BrokerAddress:
    """``mqtt://user:pass@host:1883`` or ``mqtts://…`` (TLS, port 8883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise MqttError("the MQTT URL must look like mqtt://[user:pass@]host[:port] or mqtts://")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def subscriptions(settings: Settings) -> list[str]:
    topics = [f"{settings.topic_root}/dev/+/events", f"{settings.topic_root}/dev/+/status"]
    if settings.shared_group:
        topics = [f"$share/{settings.shared_group}/{t}" for t in topics]
    return topics


class _Backoff:
    def __init__(self) -> None:
        self.delay = _BACKOFF_FIRST_S

    def next(self) -> float:
        # Jitter keeps several gateways from reconnecting in lock step after a broker restart.
        value = self.delay * random.uniform(0.8, 1.2)
        self.delay = min(self.delay * 2, _BACKOFF_MAX_S)
        return value

    def reset(self) -> None:
        self.delay = _BACKOFF_FIRST_S


class _Client(gmqtt.Client):  # type: ignore[misc]  # gmqtt is untyped
    """gmqtt reconnects after a fixed delay; this makes the delay grow on each attempt."""

    backoff: _Backoff

    async def reconnect(self, delay: bool = False) -> None:
        self.reconnect_delay = self.backoff.next()
        await super().reconnect(delay=delay)


class MqttSession:
    """Connects, subscribes, reconnects; hands every message to ``handler``."""

    def __init__(self, settings: Settings, handler: Handler) -> None:
        if not settings.mqtt_url:
            raise MqttError("TANFANG_MQTT_URL is not set")
        self._settings = settings
        self._address = parse_url(settings.mqtt_url)
        self._handler = handler
        self._generation = 0
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending_subs: set[int] = set()
        self.subscribed = asyncio.Event()
        self.connected = False
        self._client = self._make_client()

    @property
    def inflight(self) -> int:
        """Messages received and not yet acknowledged (or refused)."""
        return self._inflight

    def _make_client(self) -> _Client:
        props: dict[str, Any] = {}
        if self._settings.mqtt_protocol == "5":
            props = {
                "session_expiry_interval": self._settings.mqtt_session_expiry_s,
                "receive_maximum": self._settings.mqtt_receive_maximum,
            }
        client = _Client(
            self._settings.mqtt_client_id,
            clean_session=False,
            optimistic_acknowledgement=False,
            **props,
        )
        client.backoff = _Backoff()
        if self._address.username is not None:
            client.set_auth_credentials(self._address.username, self._address.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    async def connect(self, stop: asyncio.Event) -> bool:
        """Connect, retrying with backoff until it works or ``stop`` is set."""
        version = MQTTv50 if self._settings.mqtt_protocol == "5" else MQTTv311
        tls: ssl.SSLContext | bool = ssl.create_default_context() if self._address.tls else False
        backoff = _Backoff()
        while not stop.is_set():
            try:
                await asyncio.wait_for(
                    self._client.connect(
                        self._address.host,
                        self._address.port,
                        ssl=tls,
                        keepalive=self._settings.mqtt_keepalive_s,
                        version=version,
                    ),
                    timeout=_CONNECT_TIMEOUT_S,
                )
                return True
            except MQTTConnectError as exc:
                await self._client.disconnect()
                raise MqttError(f"the broker refused the gateway: {exc}") from exc
            except (OSError, TimeoutError) as exc:
                wait = backoff.next()
                log.warning("MQTT broker not reachable (%s); retrying in %.1fs", exc, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        return False

    async def drain(self, grace_s: float) -> None:
        """Wait until every handler has returned (its PUBACK is then written)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace_s)
        except TimeoutError:
            log.warning("%s messages were still being handled at shutdown", self._inflight)
        # One more turn of the loop: gmqtt writes the PUBACK in the handler's done-callback.
        await asyncio.sleep(0)

    async def disconnect(self) -> None:
        if self.connected or self._client._connection is not None:
            await self._client.disconnect()
        self.connected = False
        metrics.MQTT_CONNECTED.set(0)

    def _on_connect(self, client: _Client, flags: int, rc: int, properties: Any) -> None:
        self._generation += 1
        self.connected = True
        client.backoff.reset()
        metrics.MQTT_CONNECTED.set(1)
        log.info("MQTT connected (session present: %s)", bool(flags))
        # Subscribing again on a resumed session is harmless and covers a session that the
        # broker kept without our subscriptions (or a changed shared group).
        self._pending_subs.clear()
        for topic in subscriptions(self._settings):
            mid = client.subscribe(topic, qos=1)
            self._pending_subs.add(mid)

    def _on_subscribe(self, client: _Client, mid: int, qos: Any, properties: Any) -> None:
        if any(q >= 128 for q in qos):
            log.error("the broker refused a subscription (codes %s)", qos)
            return
        self._pending_subs.discard(mid)
        if not self._pending_subs:
            self.subscribed.set()

    def _on_disconnect(self, client: _Client, packet: Any, exc: Any = None) -> None:
        if self.connected:
            log.warning("MQTT connection lost; reconnecting")
        self.connected = False
        metrics.MQTT_CONNECTED.set(0)

    async def _on_message(
        self, client: _Client, topic: str, payload: bytes, qos: int, properties: Any
    ) -> int:
        generation = self._generation
        self._inflight += 1
        self._idle.clear()
        handling = self._handler(topic, payload)
        # Only the handler holds the payload from here: a refused large one is freed early.
        del payload
        try:
            await handling
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()
        if generation != self._generation:
            raise NotAcknowledgedError("received on a connection that is gone")
        return 0
