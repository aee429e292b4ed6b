"""The gateway's MQTT session (gmqtt): persistent, QoS 1, acknowledged after commit.

Every QoS 1 message is handed to the ingest handler, which returns the future of the batch
that holds it; the PUBACK is sent when that future is done, and only if it succeeded, so an
acknowledged event is always a stored one. A batch that is not committed (a stopping
gateway) leaves its messages unacknowledged: the broker delivers them again.

(gmqtt's own way, ``optimistic_acknowledgement=False``, acknowledges when an ``on_message``
coroutine returns: one task per message. The same guarantee without the task, and with the
acknowledgements of a batch in one socket write, measured about a third less CPU.)

A PUBACK names a packet id of one connection. Ids held for a connection that is gone are
dropped, never sent on the next one: if the broker lost the session, the same id may name
another message. The broker redelivers those messages and the idempotent insert stores
each once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any

from gmqtt.mqtt.constants import MQTTv50, MQTTv311
from gmqtt.mqtt.handler import MQTTConnectError

from gateway import metrics
from gateway.batcher import NotAcknowledgedError
from gateway.broker import MqttError, parse_url, subscriptions, tls_context
from gateway.config import GatewayConfig
from gateway.liveness import Progress
from gateway.mqtt_client import Backoff, Client, DroppedError
from gateway.tls import certificate_problem, speaks_tls
from store.pause import pause

log = logging.getLogger(__name__)

# Takes one message (topic, payload, DUP bit, retain flag); the returned future is done when
# everything it produced is committed.
Handler = Callable[[str, bytes, bool, bool], "asyncio.Future[Any]"]

_CONNECT_TIMEOUT_S = 30.0


class MqttSession:
    """Connects, subscribes, reconnects; hands every message to ``handler``."""

    def __init__(
        self,
        settings: GatewayConfig,
        handler: Handler,
        *,
        clock: Callable[[], float] = time.monotonic,
        client_id: str | None = None,
        member: bool = True,
        filters: Sequence[str] = (),
    ) -> None:
        """``client_id`` replaces ``TANFANG_MQTT_CLIENT_ID`` (a gateway slot's); a session
        that is not a ``member`` subscribes to nothing and leaves the connection gauge alone:
        it drains an orphaned slot's stored messages (``gateway.drain``). ``filters`` are
        topic filters subscribed beside the native ones (the foreign sources')."""
        if not settings.mqtt_url:
            raise MqttError("TANFANG_MQTT_URL is not set")
        self._settings = settings
        self._address = parse_url(settings.mqtt_url)
        self._tls = tls_context(self._address, settings.mqtt_ca_file)
        self._handler = handler
        self._filters = list(filters)
        self.client_id = client_id or settings.mqtt_client_id
        self._member = member
        self._inflight = 0
        self._waiting: dict[asyncio.Future[Any], list[int]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending_subs: set[int] = set()
        self.progress = Progress(clock)
        # Mosquitto does not always hold to the receive maximum a client asks for (with
        # max_inflight_messages 0 it sends the whole queue at once); reading is paused at
        # this many unacknowledged messages, so memory stays bounded whatever the broker.
        self._high = settings.mqtt_receive_maximum
        self._low = max(1, self._high // 2)
        self._paused = False
        self._closing = False
        self.subscribed = asyncio.Event()
        self.connected = False
        # Connections made (CONNACKs): a change between two looks tells a drop in between.
        self.connections = 0
        self.session_present = False  # the broker had kept a session (last CONNACK)
        self.received = 0  # QoS 1 messages handed to the handler
        self._unsubscribed = asyncio.Event()
        self._dropped = asyncio.Event()
        self._client = self._make_client()

    @property
    def inflight(self) -> int:
        """Messages received and not yet acknowledged (or refused)."""
        return self._inflight

    def _make_client(self) -> Client:
        props: dict[str, Any] = {}
        if self._settings.mqtt_protocol == "5":
            props = {
                "session_expiry_interval": self._settings.mqtt_session_expiry_s,
                "receive_maximum": self._settings.mqtt_receive_maximum,
            }
        client = Client(
            self.client_id,
            clean_session=False,
            optimistic_acknowledgement=False,
            **props,
        )
        client.backoff = Backoff()
        client.first_connect = True
        client._acks = []
        if self._address.username is not None:
            client.set_auth_credentials(self._address.username, self._address.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_message = self._on_message
        # gmqtt has no hook for "acknowledge later"; its handler's method is replaced on this
        # instance (checked against gmqtt 0.8, the locked version; the kill -9 test guards it).
        client._package_handler._handle_qos_1_publish_packet = self._on_qos1
        return client

    async def connect(self, stop: asyncio.Event) -> bool:
        """Connect, retrying with backoff until it works or ``stop`` is set.

        Raises ``MqttError`` when retrying cannot help: the broker refused the login, its
        certificate was refused, or the URL says plain MQTT to a TLS port."""
        backoff = Backoff()
        host, port = self._address.host, self._address.port
        while not stop.is_set():
            try:
                await self._attempt()
                return True
            except MQTTConnectError as exc:
                await self._client.disconnect()
                raise MqttError(f"the broker refused the gateway: {exc}") from exc
            except ssl.SSLCertVerificationError as exc:
                await self._client.disconnect()
                ca_file = self._settings.mqtt_ca_file
                raise MqttError(certificate_problem(exc, host, port, ca_file)) from None
            except (OSError, TimeoutError) as exc:
                if not self._address.tls and await speaks_tls(host, port):
                    raise MqttError(
                        f"{host}:{port} is a TLS port and TANFANG_MQTT_URL says plain mqtt://: "
                        "use mqtts:// (with TANFANG_MQTT_CA_FILE for a private CA)"
                    ) from None
                wait = backoff.next()
                log.warning("MQTT broker not reachable (%s); retrying in %.1fs", exc, wait)
                await pause(stop, wait)
        return False

    async def _attempt(self) -> None:
        """One connection attempt: CONNACK, or an error (the broker hanging up included)."""
        self._dropped.clear()
        connecting = asyncio.ensure_future(
            self._client.connect(
                self._address.host,
                self._address.port,
                ssl=self._tls or False,
                keepalive=self._settings.mqtt_keepalive_s,
                version=MQTTv50 if self._settings.mqtt_protocol == "5" else MQTTv311,
            )
        )
        dropped = asyncio.ensure_future(self._dropped.wait())
        try:
            done, _ = await asyncio.wait(
                {connecting, dropped},
                timeout=_CONNECT_TIMEOUT_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiting in (connecting, dropped):
                waiting.cancel()
        if connecting in done:
            connecting.result()  # raises what the attempt raised
        elif dropped in done:
            raise DroppedError("the broker closed the connection before answering CONNECT")
        else:
            raise TimeoutError(f"no CONNACK within {_CONNECT_TIMEOUT_S}s")

    def publish(self, topic: str, payload: bytes) -> None:
        """Send one QoS 1 message (gmqtt keeps it for resending until the broker acks)."""
        if not self.connected:
            raise MqttError("not connected to the broker")
        self._client.publish(topic, payload, qos=1)

    async def flushed(self, within_s: float) -> bool:
        """Whether every QoS 1 message published so far was acknowledged by the broker
        (PUBACK) within ``within_s``. A reconnect to a broker that lost the session drops the
        messages still held, which then read as acknowledged: a caller that must know
        compares ``connections`` before publishing and after."""
        storage = self._client._persistent_storage
        try:
            await asyncio.wait_for(storage.wait_empty(), timeout=within_s)
        except TimeoutError:
            return False
        return True

    async def drain(self, grace_s: float) -> None:
        """Wait until every batch holding a message has been released (acknowledged)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace_s)
        except TimeoutError:
            log.warning("%s messages were still being handled at shutdown", self._inflight)

    async def disconnect(self) -> None:
        self._closing = True
        if self.connected or self._client._connection is not None:
            await self._client.disconnect()
        self.connected = False
        self._gauge(0)

    async def suspend(self) -> None:
        """Disconnect and stay away, the session kept by the broker (its client id is not
        ours to use for now: ``gateway.slot_keeper``); ``resume`` connects again."""
        self.subscribed.clear()
        await self.disconnect()
        log.warning("MQTT session %s suspended", self.client_id)

    async def resume(self, stop: asyncio.Event) -> bool:
        """Connect again after ``suspend``: the broker sends what the session collected."""
        self._closing = False
        return await self.connect(stop)

    async def leave_group(self, within_s: float) -> bool:
        """Unsubscribe from the group's topics (the broker routes nothing more to this
        session); whether the broker confirmed within ``within_s``."""
        self._unsubscribed.clear()
        self._client.unsubscribe(subscriptions(self._settings, self._filters))
        try:
            await asyncio.wait_for(self._unsubscribed.wait(), timeout=within_s)
        except TimeoutError:
            return False
        return True

    def _gauge(self, value: int) -> None:
        if self._member:
            metrics.MQTT_CONNECTED.set(value)

    def _on_unsubscribe(self, client: Client, mid: int, codes: Any) -> None:
        self._unsubscribed.set()

    def _on_connect(self, client: Client, flags: int, rc: int, properties: Any) -> None:
        self._forget_unacknowledged()
        self.connected = True
        self.connections += 1
        # From the first CONNACK on, gmqtt reconnects by itself when the connection is lost.
        client.first_connect = False
        client.backoff.reset()
        self.session_present = bool(flags)
        self._gauge(1)
        log.info("MQTT connected as %s (session present: %s)", self.client_id, bool(flags))
        if self._paused:
            client.reading(on=False)
        if not self._member:
            return
        # Subscribing again on a resumed session is harmless and covers a session that the
        # broker kept without our subscriptions (or a changed shared group).
        self._pending_subs.clear()
        # MQTT 5: a retained publish reaches the gateway with its retain flag also while it
        # is subscribed, so that a retained event is keyed the same on every delivery.
        mqtt5 = self._settings.mqtt_protocol == "5"
        for topic in subscriptions(self._settings, self._filters):
            mid = client.subscribe(topic, qos=1, retain_as_published=mqtt5)
            self._pending_subs.add(mid)

    def _on_subscribe(self, client: Client, mid: int, qos: Any, properties: Any) -> None:
        if any(q >= 128 for q in qos):
            log.error("the broker refused a subscription (codes %s)", qos)
            return
        self._pending_subs.discard(mid)
        if not self._pending_subs:
            self.subscribed.set()

    def _on_disconnect(self, client: Client, packet: Any, exc: Any = None) -> None:
        if not self.connected:
            self._dropped.set()
        if self.connected and not self._closing:
            log.warning("MQTT connection lost; reconnecting")
        self._forget_unacknowledged()
        self.connected = False
        self._gauge(0)

    def _on_qos1(self, mid: int, payload: bytes, topic: str, properties: Any) -> None:
        """Every QoS 1 PUBLISH: batch it, and PUBACK it when its batch is committed.

        Replaces gmqtt's handling of QoS 1 (a task per message that acknowledges when the
        coroutine returns): the same guarantee, with the acknowledgements of one batch sent
        together and no task per message.
        """
        try:
            committed = self._handler(
                topic, payload, bool(properties.get("dup")), bool(properties.get("retain"))
            )
        except NotAcknowledgedError:
            return  # stopping: the broker keeps the message for the next session
        mids = self._waiting.get(committed)
        if mids is None:
            mids = self._waiting[committed] = []
            committed.add_done_callback(self._release)
            self._idle.clear()
        mids.append(mid)
        self.received += 1
        if not self._inflight:
            self.progress.moved()  # a new wait begins
        self._inflight += 1
        if self._inflight >= self._high and not self._paused:
            self._paused = True
            self._client.reading(on=False)

    def _release(self, committed: asyncio.Future[Any]) -> None:
        mids = self._waiting.pop(committed)
        self._inflight -= len(mids)
        self.progress.moved()
        if not committed.cancelled() and committed.exception() is None and mids:
            self._client.send_acks(mids)
        if self._paused and self._inflight <= self._low:
            self._paused = False
            self._client.reading(on=True)
        if not self._waiting:
            self._idle.set()

    def _forget_unacknowledged(self) -> None:
        """Packet ids name messages of one connection: the ids held for a connection that is
        gone are dropped (the broker delivers those messages again)."""
        for mids in self._waiting.values():
            self._inflight -= len(mids)
            mids.clear()

    async def _on_message(
        self, client: Client, topic: str, payload: bytes, qos: int, properties: Any
    ) -> int:
        """QoS 0 (and 2, which the subscription never grants): gmqtt's own path."""
        # QoS 0 is never redelivered: while stopping, it is dropped like any QoS 0.
        with contextlib.suppress(NotAcknowledgedError):
            await self._handler(topic, payload, False, bool(properties.get("retain")))
        return 0
