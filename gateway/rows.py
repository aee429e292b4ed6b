"""Events as the writer's COPY rows, and the dead letter of an event the database refused.

The decoder bounds and cleans extra fields (``devices.sanitise``); what still cannot be
serialised costs its extra, flagged, never the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import psycopg

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import event_row
from devices.sanitise import UNUSABLE_KEY, storable_extra
from devices.schema import MAX_PAYLOAD_BYTES, UNUSABLE_FIELD, Event, Reason


def copy_rows(events: Sequence[Event], elder_ids: Sequence[str | None]) -> list[tuple[object, ...]]:
    """The COPY rows of a batch's events, each with its elder."""
    dumps = orjson.dumps
    try:
        return [
            event_row(e, elder, None if e.extra is None else dumps(e.extra).decode())
            for e, elder in zip(events, elder_ids, strict=True)
        ]
    except orjson.JSONEncodeError:
        # The decoder bounds and cleans extra fields; one that still does not serialise
        # costs its extra, never the batch (this raising once stopped the whole process).
        return [_row_anyway(e, elder) for e, elder in zip(events, elder_ids, strict=True)]


def _row_anyway(event: Event, elder_id: str | None) -> tuple[object, ...]:
    if event.extra is None:
        return event_row(event, elder_id, None)
    try:
        return event_row(event, elder_id, orjson.dumps(event.extra).decode())
    except orjson.JSONEncodeError:
        pass
    extra, _ = storable_extra(event.extra)
    try:
        text = orjson.dumps(extra).decode()
    except orjson.JSONEncodeError:
        text = orjson.dumps({UNUSABLE_KEY: {"extra": "could not be serialised"}}).decode()
    flagged = event._replace(flags=(*event.flags, UNUSABLE_FIELD))
    return event_row(flagged, elder_id, text)


def refused_by_database(event: Event, exc: psycopg.Error) -> DeadLetter:
    """The dead letter of an event PostgreSQL refused as data, found by bisecting its batch."""
    payload = orjson.dumps(
        {"ts": event.ts.isoformat(), "seq": event.seq, "kind": event.kind, "extra": event.extra},
        default=str,
    )
    return DeadLetter(
        received_at=event.received_at,
        topic="",
        device_id=event.device_id,
        reason=Reason.BAD_FIELD.value,
        detail=f"refused by the database ({exc.sqlstate})",
        payload=payload[:MAX_PAYLOAD_BYTES],
        payload_size=len(payload),
    )
