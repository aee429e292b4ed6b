"""TLS towards the broker: the context that verifies it, and plain words for what went wrong.

``mqtts://`` always verifies the broker's certificate and host name: against
``TANFANG_MQTT_CA_FILE`` (the private CA of deploy/make-certs.sh) when it is set, else
against the system's CAs. There is no switch to turn verification off.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path

# A TLS handshake with a broker on the same network answers well within this; the probe
# runs only after a plain connection failed, to say why.
_PROBE_TIMEOUT_S = 5.0


class TlsSetupError(Exception):
    """The CA file cannot be used."""


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """A context that verifies the broker: with the CAs of ``ca_file``, or the system's."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror or str(exc)
        raise TlsSetupError(
            f"TANFANG_MQTT_CA_FILE {ca_file}: not a readable PEM CA certificate ({reason})"
        ) from exc


def certificate_problem(
    exc: ssl.SSLCertVerificationError, host: str, port: int, ca_file: Path | None
) -> str:
    """One line naming why the broker's certificate was refused."""
    reason = exc.verify_message or exc.reason or str(exc)
    trusted = (
        f"is TANFANG_MQTT_CA_FILE ({ca_file}) the CA that signed it"
        if ca_file
        else "TANFANG_MQTT_CA_FILE is not set, so only the system's CAs are trusted"
    )
    return (
        f"the broker's TLS certificate at {host}:{port} was refused: {reason} "
        f"({trusted}; the URL's host must be a name in the certificate)"
    )


async def speaks_tls(host: str, port: int) -> bool:
    """Whether ``host:port`` completes a TLS handshake: a TLS port reached with mqtt://.

    The certificate is not checked here: nothing is sent over this connection, it only
    tells a TLS listener from a plain one.
    """
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S):
            _, writer = await asyncio.open_connection(host, port, ssl=probe)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
