"""Online visits from Ping An Tong check-ins (報平安).

A ``checkin`` press becomes an online visit (線上探訪): at most one per elder per local day,
the first press of the day being the visit and every press of the day kept as its evidence.
Recording is idempotent: a press seen again (a redelivery, a replay) changes nothing.

The gateway records them inside the transaction that stores the batch of events
(``record_checkin_visits``, composed as an in-transaction step by
``tanfang.runtime.build_gateway``): a stored check-in always has its visit, even when the
gateway dies right after the commit, and the monthly visit rate reported to the
civil-affairs bureau counts every press.

When that step fails (a bug, a fault of the database that is not a lost connection), the
batch is stored without it, and ``reconcile_checkin_visits`` (the step's reconcile, run by
the gateway's reconcile loop) later records the presses of the last ``RECONCILE_DAYS`` days
that have no visit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from care import visits_repo
from care.month import local_day
from store.db import Conn

log = logging.getLogger(__name__)

CHECKIN_KIND = "checkin"

# How far back the reconcile looks for presses without a visit: a device's own time is
# taken up to 7 days back (older is stored at its receive time), and a day more covers a
# press whose step failed just before the gateway stopped for a while.
RECONCILE_DAYS: Final = 8


class StoredEvent(Protocol):
    """What a check-in needs of a stored event (``devices.schema.Event`` has it)."""

    @property
    def device_id(self) -> str: ...
    @property
    def ts(self) -> datetime: ...
    @property
    def kind(self) -> str: ...


async def record_checkin_visits(
    conn: Conn,
    events: Sequence[StoredEvent],
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


@dataclass(frozen=True, slots=True)
class _Press:
    device_id: str
    ts: datetime
    kind: str = CHECKIN_KIND


async def reconcile_checkin_visits(conn: Conn, now: datetime, tz: ZoneInfo) -> int:
    """Record as online visits the stored presses of the last ``RECONCILE_DAYS`` days that
    have none (their in-transaction step failed), in the caller's transaction. Idempotent.
    Returns how many presses were recorded."""
    found = await visits_repo.unrecorded_checkins(
        conn, CHECKIN_KIND, now - timedelta(days=RECONCILE_DAYS)
    )
    if not found:
        return 0
    presses = [_Press(device_id, ts) for device_id, _, ts in found]
    await record_checkin_visits(conn, presses, [elder for _, elder, _ in found], tz)
    return len(found)
