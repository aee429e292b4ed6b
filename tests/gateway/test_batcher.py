"""Batches are cut at N rows or T ms, at once for a critical kind; floods stay bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange
from devices.schema import Event
from gateway import metrics
from gateway.batcher import Batch, Batcher, NotAcknowledgedError

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def event(seq: int | None, kind: str = "motion", device: str = "d1") -> Event:
    return Event(device_id=device, ts=NOW, kind=kind, received_at=NOW, seq=seq)


def letter() -> DeadLetter:
    return DeadLetter(NOW, "t", None, "not_json", "not JSON", b"x", 1)


def make(max_rows: int = 3, max_ms: int = 60_000, max_dead: int = 2) -> tuple[Batcher, list[Batch]]:
    critical: list[Batch] = []
    return (
        Batcher(
            max_rows=max_rows, max_ms=max_ms, max_dead_letters=max_dead, on_critical=critical.append
        ),
        critical,
    )


async def test_a_batch_is_handed_over_when_it_reaches_max_rows() -> None:
    batcher, _ = make(max_rows=3)
    first = batcher.add_events([event(1), event(2)], "e1", 0.0)
    assert batcher.add_events([event(3)], "e1", 0.0) is first
    batch = await asyncio.wait_for(batcher.next_batch(), 1)
    assert batch is not None
    assert [e.seq for e in batch.events] == [1, 2, 3]
    assert batch.elder_ids == ["e1", "e1", "e1"]
    assert batcher.add_events([event(4)], "e1", 0.0) is not first


async def test_a_batch_is_handed_over_after_max_ms_when_not_full() -> None:
    batcher, _ = make(max_rows=1000, max_ms=10)
    batcher.add_events([event(1)], None, 0.0)
    batch = await asyncio.wait_for(batcher.next_batch(), 2)
    assert batch is not None
    assert len(batch) == 1


async def test_a_critical_message_is_a_batch_of_its_own_handed_over_at_once() -> None:
    batcher, critical = make(max_rows=1000)
    background = batcher.add_events([event(1, device="d2")], None, 0.0)
    done = batcher.add_events([event(2), event(3, kind="sos")], None, 0.0)
    assert [b.done for b in critical] == [done]
    assert critical[0].critical
    assert [e.seq for e in critical[0].events] == [2, 3], "the message whole, nothing else"
    assert batcher.add_events([event(4)], None, 0.0) is background, "the open batch goes on"
    batcher.close()
    rest = await batcher.next_batch()
    assert rest is not None
    assert [e.seq for e in rest.events] == [1, 4]


async def test_a_repeat_within_one_batch_is_dropped_there() -> None:
    batcher, _ = make(max_rows=1000)
    batcher.add_events([event(1), event(1), event(None), event(None)], None, 0.0)
    batcher.close()
    batch = await batcher.next_batch()
    assert batch is not None
    assert [e.seq for e in batch.events] == [1, None, None]


async def test_a_flood_of_dead_letters_is_capped_per_batch_and_counted() -> None:
    batcher, _ = make(max_dead=2)
    before = metrics.DEAD_LETTERS_DROPPED._value.get()
    futures = {batcher.add_dead_letter(letter()) for _ in range(5)}
    assert len(futures) == 1, "the dropped ones are still acknowledged with their batch"
    batcher.close()
    batch = await batcher.next_batch()
    assert batch is not None
    assert len(batch.dead) == 2
    assert metrics.DEAD_LETTERS_DROPPED._value.get() - before == 3


async def test_the_last_status_of_a_device_in_a_batch_wins() -> None:
    batcher, _ = make()
    batcher.add_status(StatusChange("d1", True, NOW))
    batcher.add_status(StatusChange("d2", True, NOW))
    batcher.add_status(StatusChange("d1", False, NOW))
    batcher.close()
    batch = await batcher.next_batch()
    assert batch is not None
    assert [(s.device_id, s.online) for s in batch.status_list()] == [("d2", True), ("d1", False)]


async def test_a_closed_batcher_hands_over_what_it_holds_then_refuses_messages() -> None:
    batcher, _ = make(max_rows=1000)
    batcher.add_events([event(1)], None, 0.0)
    batcher.close()
    assert await batcher.next_batch() is not None
    assert await batcher.next_batch() is None
    with pytest.raises(NotAcknowledgedError):
        batcher.add_events([event(2)], None, 0.0)


def received_time(seq: int, at: datetime, kind: str = "checkin") -> Event:
    """An event stored at its receive time (no device time): each copy has its own ts."""
    return Event(
        device_id="d1", ts=at, kind=kind, received_at=at, seq=seq, flags=("no_device_time",)
    )


async def test_a_resent_receive_time_event_is_kept_once_in_its_batch() -> None:
    batcher, _ = make(max_rows=1000)
    later = NOW.replace(microsecond=30_000)
    batcher.add_events([received_time(7, NOW)], None, 0.0)
    batcher.add_events([received_time(7, later)], None, 0.0)  # the resend: no DUP bit
    batcher.add_events([received_time(7, later, kind="motion")], None, 0.0, redelivered=True)
    batcher.close()
    batch = await asyncio.wait_for(batcher.next_batch(), 1)
    assert batch is not None
    assert [(e.seq, e.kind) for e in batch.events] == [(7, "checkin"), (7, "motion")]
    assert batch.suspects == [(0, False), (1, True)], "the writer checks both against the table"
