"""Where the broker is and how to reach it: its URL, the TLS context, the topics the
gateway subscribes to."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from gateway.config import GatewayConfig
from gateway.tls import TlsSetupError, client_context


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


def subscriptions(settings: GatewayConfig, extra: Sequence[str] = ()) -> list[str]:
    """The native topics and ``extra`` (foreign sources' filters), through the shared group
    when one is set."""
    topics = [f"{settings.topic_root}/dev/+/events", f"{settings.topic_root}/dev/+/status"]
    topics += [t for t in extra if t not in topics]
    if settings.shared_group:
        topics = [f"$share/{settings.shared_group}/{t}" for t in topics]
    return topics


def tls_context(address: BrokerAddress, ca_file: Path | None) -> ssl.SSLContext | None:
    """The TLS context of an ``mqtts://`` broker (verified against ``ca_file``, else the
    system's CAs); None for plain ``mqtt://``, which a CA file refuses."""
    if not address.tls:
        if ca_file is not None:
            # Whoever set a CA file expects TLS: do not send the password in clear.
            raise MqttError(
                "TANFANG_MQTT_CA_FILE is set but TANFANG_MQTT_URL is plain mqtt://: "
                "use mqtts:// and the broker's TLS port"
            )
        return None
    try:
        return client_context(ca_file)
    except TlsSetupError as exc:
        raise MqttError(str(exc)) from exc
