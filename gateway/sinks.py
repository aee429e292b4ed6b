"""The seam after the commit: detectors and alerting plug in here.

A sink receives every committed batch's newly stored events (never a duplicate), with the
elder of each event from the registry. It is called after the batch's MQTT messages were
acknowledged. A batch that holds a critical event (sos, fall, smoke, gas) is committed and
handed to the sinks on its own, without waiting for other batches' flushes or sinks.

A sink's failure is logged and ingest goes on, and a crash after the commit skips the sinks
of that batch: a sink must recover from the database. What must never be lost (check-ins
made online visits) is an in-transaction step instead (``gateway.steps``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from devices.ingest_repo import StatusChange
from devices.schema import Event


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    events: Sequence[Event]
    """The events of the batch that were new, in arrival order."""
    elder_ids: Sequence[str | None]
    """``elder_ids[i]`` is the elder of ``events[i]`` (None: device not assigned)."""
    statuses: Sequence[StatusChange]
    committed_at: datetime
    critical: bool


class EventSink(Protocol):
    async def handle(self, batch: CommittedBatch) -> None:
        """Take a committed batch. Must be quick or hand the work on: a slow sink delays
        the next batch of the same writer (never the acknowledgement of this one)."""
        ...
