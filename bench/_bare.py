"""The broker's own limit: the C client ``mosquitto_sub`` draining a persistent session."""

from __future__ import annotations

import contextlib
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class BareClientMissingError(RuntimeError):
    pass


def _base_cmd(url: str, topic: str, client_id: str, protocol: str) -> list[str]:
    binary = shutil.which("mosquitto_sub")
    if binary is None:
        raise BareClientMissingError(
            "mosquitto_sub is not installed (Debian/Ubuntu: apt-get install mosquitto-clients)"
        )
    parts = urlsplit(url)
    cmd = [binary, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 1883)]
    cmd += ["-t", topic, "-q", "1", "-c", "-i", client_id]
    if protocol == "5":
        # An MQTT 5 session outlives the connection only with a session expiry interval.
        cmd += ["-V", "mqttv5", "-x", "3600"]
    else:
        cmd += ["-V", "mqttv311"]
    return cmd


def create_session(url: str, topic: str, client_id: str, protocol: str) -> None:
    """Connect once, subscribe, leave: the broker then queues messages for ``client_id``."""
    subprocess.run(
        [*_base_cmd(url, topic, client_id, protocol), "-E"],
        check=True,
        capture_output=True,
        timeout=30,
    )


@dataclass(frozen=True, slots=True)
class BareResult:
    received: int
    wall_s: float  # process start to exit
    cpu_s: float  # user + system CPU time of mosquitto_sub
    drain_s: float  # first message to last, as stamped by mosquitto_sub

    @property
    def eps(self) -> float:
        return self.received / self.drain_s if self.drain_s > 0 else 0.0


def drain(
    url: str, topic: str, client_id: str, protocol: str, count: int, out: Path, timeout_s: float
) -> BareResult:
    """Reconnect to the session and time receiving ``count`` queued messages.

    Each message is written as its arrival time (``%U``, epoch with nanoseconds), so the
    drain is timed from the first message to the last, as the gateway's is.
    """
    cmd = [*_base_cmd(url, topic, client_id, protocol), "-C", str(count), "-F", "%U"]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # On timeout fewer than `count` arrived: that is reported from the count below.
    with out.open("wb") as sink, contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(cmd, check=False, stdout=sink, stderr=subprocess.DEVNULL, timeout=timeout_s)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    stamps = out.read_bytes().split()
    if len(stamps) < 2:
        return BareResult(len(stamps), wall, cpu, 0.0)
    return BareResult(len(stamps), wall, cpu, float(stamps[-1]) - float(stamps[0]))
