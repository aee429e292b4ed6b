"""Draining an orphaned slot's MQTT session (``gateway.slots``): take the session with its
client id, take its stored messages through the normal ingest path (acknowledged after
commit), leave the shared group, then have the broker drop the session.

Until the broker confirms the unsubscribe, the session is a live member of the group and
gets a share of the new messages too: they are handled like the rest. After it, nothing
more is routed to it; the drain ends when the session has been quiet for ``QUIET_S`` with
every message acknowledged. Only then is the session ended (a clean start with session
expiry 0): a gateway killed while draining leaves the session, its unacknowledged messages
included, to the next gateway that finds the slot orphaned.
"""

from __future__ import annotations

import asyncio
import logging

import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311

from gateway.broker import MqttError, parse_url, tls_context
from gateway.config import GatewayConfig
from gateway.mqtt import Handler, MqttSession
from store.pause import pause

log = logging.getLogger(__name__)

# Quiet this long, with nothing unacknowledged, after the unsubscribe: the session is empty
# (Mosquitto sends a resumed session's queue right after CONNACK, as fast as it is acked).
QUIET_S = 0.5
UNSUBSCRIBE_WITHIN_S = 10.0


async def drain_session(
    settings: GatewayConfig, client_id: str, handler: Handler, stop: asyncio.Event
) -> int:
    """Drain and end the session ``client_id``; the number of messages it held. Returns
    early (the session left as it is) when ``stop`` is set."""
    session = MqttSession(settings, handler, client_id=client_id, member=False)
    if not await session.connect(stop):
        return 0
    try:
        if session.session_present:
            if not await session.leave_group(UNSUBSCRIBE_WITHIN_S):
                raise MqttError(f"the broker did not confirm the unsubscribe of {client_id}")
            await _quiet(session, stop)
    finally:
        await session.drain(grace_s=2.0)
        await session.disconnect()
    if stop.is_set():
        return session.received
    await end_session(settings, client_id)
    log.info("session %s drained (%s messages) and ended", client_id, session.received)
    return session.received


async def _quiet(session: MqttSession, stop: asyncio.Event) -> None:
    """Until no message came for ``QUIET_S`` and none waits for its commit."""
    while not stop.is_set():
        before = session.received
        await pause(stop, QUIET_S)
        if session.received == before and session.inflight == 0 and session.connected:
            return


async def end_session(settings: GatewayConfig, client_id: str) -> None:
    """Connect as ``client_id`` with a clean start and session expiry 0, and leave: the
    broker drops the session and whatever it still held."""
    address = parse_url(str(settings.mqtt_url))
    mqtt5 = settings.mqtt_protocol == "5"
    props = {"session_expiry_interval": 0} if mqtt5 else {}
    client = gmqtt.Client(client_id, clean_session=True, **props)
    if address.username is not None:
        client.set_auth_credentials(address.username, address.password)
    await client.connect(
        address.host,
        address.port,
        ssl=tls_context(address, settings.mqtt_ca_file) or False,
        keepalive=settings.mqtt_keepalive_s,
        version=MQTTv50 if mqtt5 else MQTTv311,
        raise_exc=True,
    )
    await client.disconnect()
