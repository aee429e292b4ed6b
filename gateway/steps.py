"""Steps inside a batch's transaction: records that must never be lost nor made twice.

A step runs in the transaction that stores the batch, after its events are inserted, with
the batch's connection, the events that were new (never a duplicate) and the elder of each
(from the registry; None for a device without one). What it writes commits with the events
and before their MQTT acknowledgements, or not at all: a crash or a failure between the
commit and the step cannot lose it. An error of a step rolls the batch back, and the batch is
retried like any failed commit, its messages unacknowledged meanwhile.

A step runs only for batches holding one of its ``kinds``, so the others pay nothing.
It holds the batch's transaction (and its device rows' locks): it must be a few quick
statements. Work that must not hold the transaction (detectors, alerting) is a post-commit
``gateway.sinks.EventSink``.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.ingest_repo import TransactionStep


@dataclass(frozen=True, slots=True)
class InTransactionStep:
    name: str
    kinds: frozenset[str]
    """The step runs for a batch only when the batch holds an event of these kinds; it is
    then given all of the batch's new events (of every kind)."""
    run: TransactionStep
