"""What the running app holds: opened in the lifespan, handed to routes by dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Final

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from api.health import BrokerProbe, HealthSource
from devices.replay import DeadLetterReplayer
from store.pool import Pool
from tanfang.settings import Settings

# A request waits at most this long for a database connection, then answers 503.
REQUEST_CONNECT_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    pool: Pool
    health: HealthSource | None
    probe: BrokerProbe
    clock: Callable[[], datetime]
    # Dead-letter replay on the gateway's write path (None: this process cannot replay).
    replayer: DeadLetterReplayer | None = None

    def today(self) -> date:
        """The date in the deployment's time zone (categories use the age on this day)."""
        return self.clock().astimezone(self.settings.tz).date()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[TupleRow]]:
        """A pooled connection in a transaction, committed when the block ends without error."""
        async with self.pool.connection(timeout=REQUEST_CONNECT_TIMEOUT_S) as conn:
            yield conn


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.tanfang
    return state


StateDep = Annotated[AppState, Depends(get_state)]
