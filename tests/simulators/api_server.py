"""The real API served over HTTP on a free port, for clients that speak plain HTTP (the
importer, the simulator's registration) rather than ASGI."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import uvicorn

from api.app import create_app
from tanfang.settings import Settings
from tests.rig.ports import free_port

START_DEADLINE_S: Final = 30.0
STOP_DEADLINE_S: Final = 30.0


@contextmanager
def serving_api(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` (its lifespan opens the pool) in a thread; yields the
    base URL, ``http://127.0.0.1:<port>``."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the API did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STOP_DEADLINE_S)
