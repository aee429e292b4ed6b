"""The real API served over HTTP on a free port, for clients that speak plain HTTP (the
importer, the simulator's registration) rather than ASGI."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from tanfang.settings import Settings
from tests.rig.ports import free_port

START_DEADLINE_S: Final = 30.0
STOP_DEADLINE_S: Final = 30.0


@contextmanager
def serving_api(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` (its lifespan opens the pool) in a thread; yields the
    base URL, ``http://127.0.0.1:<port>``."""
    with serving_app(create_app(settings)) as url:
        yield url


@contextmanager
def serving_app(
    app: FastAPI, *, port: int | None = None, graceful_s: int | None = None
) -> Iterator[str]:
    """Serve ``app`` on ``port`` (default: a free one; its lifespan runs in the server's
    thread); yields the base URL. ``graceful_s``: at the end, responses still open after
    this long (a browser's live stream) are cut."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=graceful_s,
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
        assert not thread.is_alive(), "the API did not stop"
