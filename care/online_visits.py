"""Online visits from Ping An Tong check-ins (報平安).

A ``checkin`` press becomes an online visit (線上探訪): at most one per elder per local day,
the first press of the day being the visit and every press of the day kept as its evidence.
Recording is idempotent: a press seen again (a redelivery, a replay) changes nothing.

The gateway records them inside the transaction that stores the batch of events
(``record_checkin_visits``, composed as an in-transaction step by
``tanfang.runtime.build_gateway``): a stored check-in always has its visit, even when the
gateway dies right after the commit, and the monthly visit rate reported to the
civil-affairs bureau counts every press. ``CheckinVisits`` does the same on a connection of
its own, for callers outside the gateway (replaying stored events, tests).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from care import visits_repo
from care.month import local_day
from devices.schema import Event
from store.pool import Pool

log = logging.getLogger(__name__)

CHECKIN_KIND = "checkin"


async def record_checkin_visits(
    conn: visits_repo.Conn,
    events: Sequence[Event],
    elder_ids: Sequence[str | None],
    tz: ZoneInfo,
) -> int:
    """Record the check-ins among ``events`` as online visits, on ``conn`` and in the
    caller's transaction. ``elder_ids[i]`` is the elder of ``events[i]`` (None: the devices
    table says; a device without an elder is skipped). Events of other kinds are ignored.
    Returns how many visits were made or moved to an earlier press."""
    presses = [
        (event.device_id, owner, event.ts, local_day(event.ts, tz))
        for event, owner in zip(events, elder_ids, strict=True)
        if event.kind == CHECKIN_KIND
    ]
    if not presses:
        return 0
    made = await visits_repo.record_checkins(conn, presses)
    log.debug("check-ins: %s presses, %s online visits made or moved", len(presses), made)
    return made


class CommittedEvents(Protocol):
    """Stored events with their elders (gateway.sinks.CommittedBatch has these)."""

    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def elder_ids(self) -> Sequence[str | None]: ...


class CheckinVisits:
    """``record_checkin_visits`` on a pool connection of its own, committed at once.

    Not used by the gateway (which records inside each batch's transaction); for events
    that are already stored, e.g. a replay."""

    def __init__(self, pool: Pool, tz: ZoneInfo) -> None:
        self._pool = pool
        self._tz = tz

    async def handle(self, batch: CommittedEvents) -> None:
        await self.handle_events(batch.events, batch.elder_ids)

    async def handle_events(
        self, events: Sequence[Event], elder_ids: Sequence[str | None] | None = None
    ) -> None:
        """Record the check-ins among ``events``; ``elder_ids[i]`` is the elder of
        ``events[i]`` when the caller knows it (else the devices table says)."""
        if not any(event.kind == CHECKIN_KIND for event in events):
            return
        owners = list(elder_ids) if elder_ids is not None else [None] * len(events)
        async with self._pool.connection() as conn, conn.transaction():
            await record_checkin_visits(conn, events, owners, self._tz)
