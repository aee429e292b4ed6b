"""``devices.http_ingest.HttpIngestor`` on the gateway's write path: a vendor's body stored in
one transaction, answered after the commit.

The body is read by ``devices.adapters.http_generic.adapt_body``; its device ids are the
addresses bound to devices of source ``http:<name>``. In one transaction: the readings'
message ids are claimed (``ingest_message_ids``; a retried delivery finds its ids taken and
stores nothing again, not even its dead letters), their events written by ``write_batch``
with the gateway's in-transaction steps (an ``sos`` opens its alert in the transaction that
stores it) and the dead letters of what was refused, with the source and address. Each
request commits on its own connection: an SOS waits for no batch. A reading without a
``message_id`` is stored each time it is posted.

A step that fails is left out and the body written again without it, as the gateway's
writer does (``gateway.steps``); the step's reconcile, run by the gateway, makes good what
it missed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from devices import sources_repo
from devices.adapters import http_generic
from devices.adapters.base import Output, Reading, Refusal
from devices.http_ingest import BodyUnusableError, IngestCounts
from devices.ingest_repo import ensure_stage, write_batch
from devices.sources_repo import Bound
from gateway import metrics
from gateway.foreign import Message, Planned, plan
from gateway.kinds import raise_unbound_critical, raise_unexpected
from gateway.rows import copy_rows
from gateway.steps import InTransactionStep, StepFailedError, guarded
from store.db import Conn
from store.pool import Pool

log = logging.getLogger(__name__)

# Refusals quoted in a 422's message at most.
_QUOTED: Final = 5


class GatewayHttpIngest:
    def __init__(self, pool: Pool, *, steps: Sequence[InTransactionStep] = ()) -> None:
        self._pool = pool
        self._steps = list(steps)

    async def ingest(self, source: str, body: bytes, received_at: datetime) -> IngestCounts:
        outputs = http_generic.adapt_body(body, received_at.timestamp())
        if not any(isinstance(o, Reading) for o in outputs):
            whole = [o for o in outputs if isinstance(o, Refusal)]
            if not whole:
                raise BodyUnusableError("the body holds no reading")
            if all(r.address is None for r in whole):
                raise BodyUnusableError("; ".join(r.reason for r in whole[:_QUOTED]))
        message = Message(source, f"POST /api/v1/ingest/{source}", body, received_at)
        failed: set[str] = set()
        while True:
            try:
                return await self._write(message, outputs, failed)
            except StepFailedError as exc:
                metrics.STEP_FAILURES.labels(step=exc.step).inc()
                log.error(
                    "in-transaction step %s failed on an ingest of %s (%s); storing without it,"
                    " its reconcile will catch up",
                    exc.step,
                    source,
                    type(exc.__cause__).__name__,
                )

    async def _write(
        self, message: Message, outputs: Sequence[Output], failed: set[str]
    ) -> IngestCounts:
        async with self._pool.connection() as conn:
            await ensure_stage(conn)
            async with conn.transaction():
                fresh, duplicate = await _not_seen_before(conn, message, outputs)
                addresses = sorted({o.address for o in fresh if isinstance(o, Reading)})
                bound: dict[str, Bound] = {}
                if addresses:
                    bound = await sources_repo.bound_devices(conn, message.kind, addresses)
                planned = plan(message, fresh, bound, {})
                events = [e for group in planned.events.values() for e in group.events]
                elders = [g.elder_id for g in planned.events.values() for _ in g.events]
                kinds = {e.kind for e in events}
                steps = [
                    guarded(step, failed)
                    for step in self._steps
                    if step.name not in failed and not step.kinds.isdisjoint(kinds)
                ]
                result = await write_batch(
                    conn,
                    events,
                    copy_rows(events, elders),
                    planned.letters,
                    planned.statuses,
                    which=True,
                    steps=steps,
                )
        _told(message.kind, planned)
        return IngestCounts(stored=result.stored, duplicate=duplicate, refused=planned.refused)


async def _not_seen_before(
    conn: Conn, message: Message, outputs: Sequence[Output]
) -> tuple[list[Output], int]:
    """The outputs whose message id is claimed now (or that have none), and how many
    readings were left out as stored before (or repeated within the body)."""
    ids = [o.message_id for o in outputs if isinstance(o, Reading) and o.message_id]
    claimed = await sources_repo.claim_message_ids(conn, message.kind, ids, message.received_at)
    fresh: list[Output] = []
    duplicate = 0
    for out in outputs:
        if isinstance(out, Reading) and out.message_id:
            if out.message_id not in claimed:
                duplicate += 1
                continue
            claimed.discard(out.message_id)  # a second reading of one id is a repeat
        fresh.append(out)
    return fresh, duplicate


def _told(source: str, planned: Planned) -> None:
    for letter in planned.letters:
        metrics.EVENTS_REFUSED.labels(reason=letter.reason).inc()
    for event, device_type in planned.unexpected:
        raise_unexpected([event], device_type)
    raise_unbound_critical(source, planned.unbound_critical)
