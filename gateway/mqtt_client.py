"""The gmqtt client as the gateway's MQTT session drives it (``gateway.mqtt``): PUBACKs
sent by the session, a batch of them in one socket write; reading the socket paused and
resumed (gmqtt has no flow control of its own); a reconnect delay that grows with each
attempt, with jitter."""

from __future__ import annotations

import random
import struct

import gmqtt

# PUBACK with reason "success" in its short form, valid in MQTT 3.1.1 and 5.
_PUBACK = struct.Struct("!BBH")
_BACKOFF_FIRST_S = 0.5
_BACKOFF_MAX_S = 30.0


class DroppedError(ConnectionError):
    """The broker closed the connection before answering CONNECT."""


class Backoff:
    def __init__(self) -> None:
        self.delay = _BACKOFF_FIRST_S

    def next(self) -> float:
        # Jitter keeps several gateways from reconnecting in lock step after a broker restart.
        value = self.delay * random.uniform(0.8, 1.2)
        self.delay = min(self.delay * 2, _BACKOFF_MAX_S)
        return value

    def reset(self) -> None:
        self.delay = _BACKOFF_FIRST_S


class Client(gmqtt.Client):  # type: ignore[misc]  # gmqtt is untyped
    """gmqtt whose reconnect delay grows on each attempt, and whose reading can be paused."""

    backoff: Backoff
    # Until the first CONNACK, MqttSession.connect alone retries: gmqtt would otherwise
    # reconnect on its own beside it after a connection dropped before CONNACK.
    first_connect: bool

    async def reconnect(self, delay: bool = False) -> None:
        if self.first_connect:
            return
        self.reconnect_delay = self.backoff.next()
        await super().reconnect(delay=delay)

    def reading(self, on: bool) -> None:
        """Pause or resume reading the socket (gmqtt has no flow control of its own)."""
        transport = getattr(self._connection, "_transport", None)
        if transport is None or transport.is_closing():
            return
        if on:
            transport.resume_reading()
        else:
            transport.pause_reading()

    def send_acks(self, mids: list[int]) -> None:
        """PUBACK (success) for these packet ids, in one socket write."""
        connection = self._connection
        if connection is None or connection.is_closing():
            return  # the broker delivers them again on the next connection
        connection.send_package(b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids]))
