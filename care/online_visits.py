"""Online visits from Ping An Tong check-ins (報平安): a post-commit sink of the gateway.

The gateway hands every committed batch of new events to its sinks; this one keeps the
``checkin`` events and records them as online visits (線上探訪): at most one per elder per
local day, the first press of the day being the visit and the others its evidence. It is
idempotent, so a batch handed over again after a crash records nothing twice.
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


class CommittedEvents(Protocol):
    """What the gateway hands its sinks (gateway.sinks.CommittedBatch has these)."""

    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def elder_ids(self) -> Sequence[str | None]: ...


class CheckinVisits:
    """The sink: ``await CheckinVisits(pool, tz).handle(batch)`` after the commit."""

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
        owners = list(elder_ids) if elder_ids is not None else [None] * len(events)
        presses = [
            (event.device_id, owner, event.ts, local_day(event.ts, self._tz))
            for event, owner in zip(events, owners, strict=True)
            if event.kind == CHECKIN_KIND
        ]
        if not presses:
            return
        async with self._pool.connection() as conn:
            made = await visits_repo.record_checkins(conn, presses)
        log.debug("check-ins: %s presses, %s online visits made or moved", len(presses), made)
