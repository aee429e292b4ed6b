"""The detection leader's feed: every committed event of every home, whichever gateway
stored it, read from the database by receive time (``events.received_at``).

A batch received at ``t`` may commit after a batch received later has been read (writers
commit in parallel, a batch can wait for a lock), so each read goes back ``overlap_s``
before the newest receipt seen. What comes twice in that overlap is dropped here by its
identity (device, ts, seq — the events table's own key), so every event reaches the state
once; the state itself is order-tolerant ("latest time wins", ``np.fmax``), so an event
that arrives after a later one of its home moves nothing back.

The overlap follows the commits' delay (``follow``): under load, when every batch waits
seconds for its commit, the newest receipt committed trails the clock by that wait and the
overlap grows to twice it. A batch committed later than the overlap after its receipt (a
writer retrying through a database outage, one batch stuck while others commit) is not read
by the feed: the outage drops the leader's own connection too,
and a new leadership rebuilds its state from the stored events (``gateway.detection``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from gateway.detect_repo import EventRow
from gateway.detectors import EventBatch
from gateway.detectors.codes import KIND
from gateway.detectors.events import empty_batch

# How far back each turn's read reaches before the newest receipt seen, at least: longer
# than a batch waits between its receipt and its commit in normal running (50 ms of
# batching and a commit; the ingest bench's p99 lag is under 100 ms). Every event of the
# window is read again each turn and dropped here, so it is not longer than it needs to be.
OVERLAP_S: Final = 5.0
# Under load batches wait longer before their commit: the newest receipt committed then
# trails the clock by about that wait, and the overlap grows to twice it (``follow``), up to
# this. A quiet fleet's overlap grows too, and costs nothing: few events to read again.
MAX_OVERLAP_S: Final = 120.0

Key = tuple[str, float, int | None]


@dataclass(slots=True)
class Feed:
    """The cursor (newest receipt seen, epoch s) and the identities of the events read
    within ``overlap_s`` of it."""

    cursor: float
    overlap_s: float = OVERLAP_S
    floor_s: float = OVERLAP_S
    _seen: dict[Key, float] = field(default_factory=dict)

    def follow(self, now: float) -> None:
        """After a turn's read at ``now``: the overlap is twice how far the newest receipt
        committed trails the clock (the commits' current delay), within its bounds."""
        self.overlap_s = min(max(2.0 * (now - self.cursor), self.floor_s), MAX_OVERLAP_S)

    @property
    def since(self) -> float:
        """Read events received after this."""
        return self.cursor - self.overlap_s

    def take(self, rows: Iterable[EventRow], device_index: Mapping[str, int]) -> EventBatch:
        """The rows not taken before, as a batch in receive order; the cursor moves to the
        newest receipt. Rows of devices the detectors do not know are left out."""
        fresh: list[EventRow] = []
        for row in rows:
            key = (row[0], row[1], row[2])
            if key in self._seen:
                continue
            self._seen[key] = row[5]
            fresh.append(row)
            self.cursor = max(self.cursor, row[5])
        self._forget()
        return to_batch(fresh, device_index)

    def _forget(self) -> None:
        """Identities received before the overlap window can never be read again."""
        edge = self.since
        if len(self._seen) and min(self._seen.values()) < edge:
            self._seen = {k: t for k, t in self._seen.items() if t >= edge}


def to_batch(rows: list[EventRow], device_index: Mapping[str, int]) -> EventBatch:
    """Event rows as the detectors read them: devices by index, kinds by code."""
    known = [(device_index[r[0]], r) for r in rows if r[0] in device_index]
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
