"""The demo's embedded services: an in-process MQTT broker and a PostgreSQL that a Python
package brings, so ``tanfang demo`` needs nothing installed beforehand."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

log = logging.getLogger(__name__)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(host: str, preferred: int) -> int:
    """``preferred`` when free, otherwise any free port (a taken port is not an error here)."""
    if preferred and port_is_free(host, preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def embedded_broker(
    host: str = "127.0.0.1", preferred_port: int = 1883
) -> AsyncIterator[str]:
    """amqtt in this process (MQTT 3.1.1 only); yields its ``mqtt://`` URL."""
    from amqtt.broker import Broker
    from amqtt.contexts import BrokerConfig, ListenerConfig

    port = pick_port(host, preferred_port)
    config = BrokerConfig(
        listeners={"default": ListenerConfig(bind=f"{host}:{port}")},
        plugins={"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    )
    broker = Broker(config)
    await broker.start()
    try:
        yield f"mqtt://{host}:{port}"
    finally:
        await broker.shutdown()


@asynccontextmanager
async def embedded_database() -> AsyncIterator[str]:
    """A throw-away PostgreSQL 16 from the pgserver package (Unix socket); yields its URL."""
    with warnings.catch_warnings():
        # platformdirs warns, at pgserver's import, when XDG_RUNTIME_DIR is unset (root, CI).
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

    datadir = Path(tempfile.mkdtemp(prefix="tanfang-demo-pg-"))
    server = await asyncio.to_thread(get_server, datadir, cleanup_mode="stop")
    try:
        yield str(server.get_uri("postgres"))
    finally:
        await asyncio.to_thread(server.cleanup)
        shutil.rmtree(datadir, ignore_errors=True)
