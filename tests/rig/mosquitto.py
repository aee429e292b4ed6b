"""A real Mosquitto broker on a free port, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.rig.certs import ServerCertificate
from tests.rig.ports import free_port, wait_for_port

# Shipped Mosquitto keeps 1000 queued and 20 in-flight messages per client and then drops:
# a gateway that lags behind a burst would lose events. See docs/deploy.md.
CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages {max_queued}
max_queued_bytes 0
max_inflight_messages {max_inflight}
max_keepalive 600
max_packet_size {max_packet_size}
log_dest stderr
log_type error
log_type warning
"""
# A second listener speaking only TLS, with the session's own CA (tests/rig/certs.py).
TLS_LISTENER = """\
listener {port} 127.0.0.1
certfile {certfile}
keyfile {keyfile}
"""
# The broker refuses a packet over this: the shipped configs' limit (deploy/mosquitto.conf
# says why it is a packet and not a payload limit).
MAX_PACKET_SIZE = 266240


class MosquittoMissingError(RuntimeError):
    pass


@dataclass
class Mosquitto:
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path
    tls_port: int | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        """``mqtts://`` to the TLS listener (started with ``tls=``)."""
        if self.tls_port is None:
            raise RuntimeError("this broker was started without a TLS listener")
        return f"mqtts://127.0.0.1:{self.tls_port}"

    def restart(self) -> None:
        """Stop the broker and start it again with the same config and ports: its clients
        lose their connections (and, without persistence, their sessions)."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = _launch(self.workdir / "mosquitto.conf")
        self._wait_listening()

    def _wait_listening(self) -> None:
        try:
            for listening in (self.port, self.tls_port):
                if listening is not None:
                    wait_for_port("127.0.0.1", listening)
        except TimeoutError:
            self.process.kill()
            raise

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def find_mosquitto() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise MosquittoMissingError(
        "the mosquitto broker is not installed: `make test` installs it with apt-get, "
        "or set TANFANG_TEST_MQTT_URL to a broker"
    )


def start_mosquitto(
    *,
    max_queued: int = 2_000_000,
    max_inflight: int = 0,
    tls: ServerCertificate | None = None,
) -> Mosquitto:
    """Mosquitto on a free port; with ``tls``, also a TLS listener with that certificate."""
    find_mosquitto()  # says what is missing before anything is made
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tanfang-mosquitto-"))
    conf = workdir / "mosquitto.conf"
    text = CONFIG.format(
        port=port,
        max_queued=max_queued,
        max_inflight=max_inflight,
        max_packet_size=MAX_PACKET_SIZE,
    )
    tls_port = None
    if tls is not None:
        tls_port = free_port()
        text += TLS_LISTENER.format(port=tls_port, certfile=tls.cert, keyfile=tls.key)
    if os.geteuid() == 0:
        # Mosquitto drops root for the "mosquitto" user unless told which user to be.
        text += "user root\n"
    conf.write_text(text)
    broker = Mosquitto(port=port, process=_launch(conf), workdir=workdir, tls_port=tls_port)
    broker._wait_listening()
    return broker


def _launch(conf: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([find_mosquitto(), "-c", str(conf)], stderr=subprocess.DEVNULL)
