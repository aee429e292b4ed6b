"""What the running app holds: opened in the lifespan, handed to routes by dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Final

from fastapi import Depends, Request

from api.config import ApiConfig
from api.health import BrokerProbe, HealthSource
from api.stream_hub import StreamHub
from devices.http_ingest import HttpIngestor
from devices.replay import DeadLetterReplayer
from store.db import Conn
from store.pool import Pool

# A request waits at most this long for a database connection, then answers 503 (with
# Retry-After). During an outage the pool has no connection to give: a caller told so
# within a second can try again or show the outage, where a longer wait only held its
# request open (it was 5 s). The pool tries the database about every second
# (store/pool.py), so requests work again within a second or two of its return.
REQUEST_CONNECT_TIMEOUT_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class AppState:
    settings: ApiConfig
    pool: Pool
    health: HealthSource | None
    probe: BrokerProbe
    clock: Callable[[], datetime]
    # Dead-letter replay on the gateway's write path (None: this process cannot replay).
    replayer: DeadLetterReplayer | None = None
    # HTTP ingest of vendor platforms on the gateway's write path (None: not in this process).
    ingestor: HttpIngestor | None = None
    # The live alert stream's follower of the change feed (None: no database URL to listen on).
    hub: StreamHub | None = None

    def today(self) -> date:
        """The date in the deployment's time zone (categories use the age on this day)."""
        return self.clock().astimezone(self.settings.tz).date()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """A pooled connection in a transaction, committed when the block ends without error."""
        async with self.pool.connection(timeout=REQUEST_CONNECT_TIMEOUT_S) as conn:
            yield conn


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.tanfang
    return state


StateDep = Annotated[AppState, Depends(get_state)]
