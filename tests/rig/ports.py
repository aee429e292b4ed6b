"""Free TCP ports on the loopback interface."""

from __future__ import annotations

import itertools
import os
import random
import socket
import time

# A port handed out is bound later by another process, so between the pick and the bind
# anything may take it. Asking the kernel for port 0 picks from the ephemeral range, which
# every outgoing connection (to PostgreSQL, to the broker) also draws its local port from:
# under load one such connection took a port in that gap ("address already in use").
# Ports are therefore picked below the ephemeral range (Linux: 32768+), in a block of
# their own per pytest-xdist worker, so neither clients nor another worker reach them.
_LOW, _HIGH = 20_000, 32_000
_BLOCK = 1_000


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = name.removeprefix("gw")
    return int(digits) if digits.isdigit() else 0


def _candidates() -> itertools.cycle[int]:
    blocks = (_HIGH - _LOW) // _BLOCK
    start = _LOW + (_worker_index() % blocks) * _BLOCK
    ports = list(range(start, start + _BLOCK))
    offset = random.randrange(_BLOCK)  # two runs on one machine start apart
    return itertools.cycle(ports[offset:] + ports[:offset])


_NEXT = _candidates()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback port nothing listens on, never one the kernel lends to a client."""
    for _ in range(_BLOCK):
        port = next(_NEXT)
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port in this worker's block of {_BLOCK}")


def wait_for_port(host: str, port: int, deadline_s: float = 30.0) -> None:
    """Poll until something accepts connections on (host, port), or raise."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > end:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {deadline_s}s"
                ) from None
            time.sleep(0.05)
