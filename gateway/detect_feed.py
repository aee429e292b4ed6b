"""The detection leader's feed: every committed event of every home, whichever gateway
stored it, read from the database by receive time (``events.received_at``).

A batch received at ``t`` may commit after a batch received later has been read (writers
commit in parallel, a batch can wait for a lock), so each read goes back ``overlap_s``
before the newest receipt seen. What comes twice in that overlap is dropped here by its
identity (device, ts, seq — the events table's own key), so every event reaches the state
once; the state itself is order-tolerant ("latest time wins", ``np.fmax``), so an event
that arrives after a later one of its home moves nothing back.

The overlap follows how late commits come (``follow``): an event read this turn that was
received well before the cursor had passed it widens the overlap to twice that lateness.
A batch that commits later than the overlap after a later-received one (a writer retrying
through a database outage, one batch stuck while others commit) is not read by the feed:
the outage drops the leader's own connection too, and a new leadership rebuilds its state
from the stored events (``gateway.detection``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from gateway.detect_repo import EventRow
from gateway.detectors import EventBatch
from gateway.detectors.codes import KIND
from gateway.detectors.device_ids import DeviceIds
from gateway.detectors.events import empty_batch

# How far back each turn's read reaches before the newest receipt seen (committed), at
# least. A delay that every batch shares (a queue before the writers) needs no overlap: the
# cursor is the newest receipt *committed*. What needs one is commits out of receipt order
# (parallel writers, a batch slower to commit than the next): in normal running well under
# a second. Every event of the window is read again each turn and dropped here, so it is
# not longer than it needs to be.
OVERLAP_S: Final = 5.0
# When an event turns up later than that (received that long before the cursor already
# passed it), the overlap grows to twice the lateness seen, up to this, and shrinks back
# by a tenth a turn.
MAX_OVERLAP_S: Final = 120.0
SHRINK: Final = 0.9

Key = tuple[str, float, int | None]


@dataclass(slots=True)
class Feed:
    """The cursor (newest receipt seen, epoch s) and the identities of the events read
    within ``overlap_s`` of it."""

    cursor: float
    overlap_s: float = OVERLAP_S
    floor_s: float = OVERLAP_S
    late_s: float = 0.0  # the latest commit seen this turn: how far behind the cursor
    _seen: dict[Key, float] = field(default_factory=dict)

    def follow(self) -> None:
        """After a turn's reads: the overlap becomes twice the lateness seen if that is
        more, else shrinks towards its floor."""
        wanted = max(2.0 * self.late_s, self.floor_s, self.overlap_s * SHRINK)
        self.overlap_s = min(wanted, MAX_OVERLAP_S)
        self.late_s = 0.0

    @property
    def since(self) -> float:
        """Read events received after this."""
        return self.cursor - self.overlap_s

    def take(self, rows: Iterable[EventRow], device_ids: DeviceIds) -> EventBatch:
        """The rows not taken before, as a batch in receive order; the cursor moves to the
        newest receipt. Rows of devices the detectors do not know are left out."""
        fresh: list[EventRow] = []
        for row in rows:
            key = (row[0], row[1], row[2])
            if key in self._seen:
                continue
            self._seen[key] = row[5]
            fresh.append(row)
            self.late_s = max(self.late_s, self.cursor - row[5])
            self.cursor = max(self.cursor, row[5])
        self._forget()
        return to_batch(fresh, device_ids)

    def _forget(self) -> None:
        """Identities received before the overlap window can never be read again."""
        edge = self.since
        if len(self._seen) and min(self._seen.values()) < edge:
            self._seen = {k: t for k, t in self._seen.items() if t >= edge}


def to_batch(rows: list[EventRow], device_ids: DeviceIds) -> EventBatch:
    """Event rows as the detectors read them: devices by index, kinds by code."""
    where = device_ids.lookup([r[0] for r in rows])
    known = [(int(d), r) for d, r in zip(where, rows, strict=True) if d >= 0]
    if not known:
        return empty_batch()
    return EventBatch(
        device=np.array([d for d, _ in known], dtype=np.intp),
        kind=np.array([KIND.get(r[3], -1) for _, r in known], dtype=np.intp),
        value=np.array([math.nan if r[4] is None else r[4] for _, r in known], dtype=np.float64),
        ts=np.array([r[1] for _, r in known], dtype=np.float64),
        received=np.array([r[5] for _, r in known], dtype=np.float64),
        untrusted=np.array([r[6] for _, r in known], dtype=bool),
    )
