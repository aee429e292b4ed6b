"""Steps inside a batch's transaction: records that must never be lost nor made twice.

A step runs in the transaction that stores the batch, after its events are inserted, with
the batch's connection, the events that were new (never a duplicate) and the elder of each
(from the registry; None for a device without one). What it writes commits with the events
and before their MQTT acknowledgements, or not at all: a crash or a failure between the
commit and the step cannot lose it.

A step must never hold an event back (an SOS in the same batch as a check-in): when it
raises, for any reason but a lost database connection, the batch is written again at once
without it (``guarded``, ``StepFailedError``), the failure is counted
(``tanfang_step_failures_total{step}``) and logged once, and the step's ``reconcile`` makes
good later what it missed, from the stored events (``gateway.reconcile``). A lost connection
fails the whole batch, which is retried as it is.

A step runs only for batches holding one of its ``kinds``, so the others pay nothing.
It holds the batch's transaction (and its device rows' locks): it must be a few quick
statements. Work that must not hold the transaction (detectors, alerting) is a post-commit
``gateway.sinks.EventSink``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from devices.ingest_repo import TransactionStep
from devices.schema import Event
from store.db import Conn

# Does again, for the stored events since the given time, what the step would have done:
# called with a connection in a transaction and the time now; returns how many records it
# made. Idempotent: it runs periodically, whether or not the step failed.
Reconcile = Callable[[Conn, datetime], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class InTransactionStep:
    name: str
    kinds: frozenset[str]
    """The step runs for a batch only when the batch holds an event of these kinds; it is
    then given all of the batch's new events (of every kind)."""
    run: TransactionStep
    reconcile: Reconcile | None = None
    """Makes good, from the stored events, what the step missed when it failed."""
    retry_s: float | None = None
    """After the step failed, its reconcile runs this often until a run succeeds (None:
    once, ``gateway.reconcile.RECONCILE_SOON_S`` later): for what a person waits for in
    seconds, such as an SOS's alert."""


class StepFailedError(Exception):
    """An in-transaction step raised: its batch is written again without it."""

    def __init__(self, step: str) -> None:
        super().__init__(f"in-transaction step {step!r} failed")
        self.step = step


def guarded(step: InTransactionStep, failed: set[str]) -> TransactionStep:
    """``step.run``, whose error becomes ``StepFailedError`` (and its name is added to
    ``failed``) unless the connection itself is lost: then the error is the batch's."""

    async def run(conn: Conn, events: Sequence[Event], elder_ids: Sequence[str | None]) -> object:
        try:
            return await step.run(conn, events, elder_ids)
        except Exception as exc:
            if conn.broken or conn.closed:
                raise
            failed.add(step.name)
            raise StepFailedError(step.name) from exc

    return run
