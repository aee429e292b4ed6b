"""The gateway-outage watch of a process that runs no gateway (``tanfang api`` alone): the
gateways cannot tell their own death, so a live API process judges their heartbeats too,
every ``WATCH_EVERY_S``, under the same lease as the gateways' health sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from alerting import health_repo
from alerting.gateway_outage import HEALTH_LEASE, sweep_gateway_outage
from store.pause import pause
from store.pool import Pool

log = logging.getLogger(__name__)

# As the gateways' sweep (gateway.health_loop.SWEEP_EVERY_S): an outage is told within
# seconds of its minute.
WATCH_EVERY_S: Final = 5.0


async def watch_gateways(
    pool: Pool,
    stop: asyncio.Event,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    every_s: float | None = None,
) -> None:
    """Until ``stop``: raise or clear ``gateway_outage``. A database fault is logged once
    while it lasts; the next turn tries again."""
    pace = WATCH_EVERY_S if every_s is None else every_s
    failing = False
    while not stop.is_set():
        try:
            async with pool.connection() as conn, conn.transaction():
                if await health_repo.try_lease(conn, HEALTH_LEASE):
                    await sweep_gateway_outage(conn, clock())
        except Exception as exc:
            # Whatever it is (a bug included), the API must keep serving: logged once while
            # it lasts (class and SQLSTATE only), tried again next turn.
            if not failing:
                log.error(
                    "gateway outage watch failed (%s, SQLSTATE %s); trying again",
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                )
            failing = True
        else:
            failing = False
        await pause(stop, pace)
