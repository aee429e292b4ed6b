"""The writer: acknowledgement after commit, and a batch the database refuses is split."""

from __future__ import annotations

from datetime import UTC, datetime

from devices.schema import Event
from gateway.sinks import CommittedBatch
from gateway.writer import Writer
from store.pool import Pool
from tests.gateway.helpers import fetch, register

NOW = datetime.now(UTC).replace(microsecond=0)


class Recorder:
    def __init__(self) -> None:
        self.batches: list[CommittedBatch] = []

    async def handle(self, batch: CommittedBatch) -> None:
        self.batches.append(batch)


def event(seq: int, **extra: object) -> Event:
    return Event(
        device_id="d1", ts=NOW, kind="motion", received_at=NOW, seq=seq, extra=extra or None
    )


async def test_events_the_database_refuses_become_dead_letters_and_the_rest_is_stored(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    sink = Recorder()
    writer = Writer(pool, max_rows=100, max_ms=10, max_dead_letters=10, sinks=[sink])
    # jsonb refuses the NUL character (the ingest handler catches it earlier; this is the
    # writer's own safety net for whatever else PostgreSQL may refuse).
    events = [event(1), event(2, note="a\x00b"), event(3), event(1)]
    done = writer.batcher.add_events(events, "KP-1", 0.0)
    writer.batcher.close()
    await writer.run()
    assert done.done()
    assert done.exception() is None
    assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(1,), (3,)]
    letters = await fetch(database_url, "SELECT reason, device_id FROM dead_letters")
    assert letters == [("bad_field", "d1")]
    assert [[e.seq for e in b.events] for b in sink.batches] == [[1, 3]]
    assert sink.batches[0].elder_ids == ["KP-1", "KP-1"]
