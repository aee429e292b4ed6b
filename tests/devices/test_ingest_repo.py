"""The write path against the real PostgreSQL: one transaction per batch, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import psycopg
import pytest

from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import StatusChange, event_row, write_batch
from devices.schema import Event
from store.pool import Pool
from tests.gateway.helpers import fetch, register

NOW = datetime.now(UTC).replace(microsecond=0)


def event(seq: int | None, *, ts: datetime = NOW, **fields: Any) -> Event:
    return Event(device_id="d1", ts=ts, kind="motion", received_at=NOW, seq=seq, **fields)


def rows(events: list[Event], elder: str | None = "KP-1") -> list[tuple[object, ...]]:
    return [
        event_row(e, elder, None if e.extra is None else orjson.dumps(e.extra).decode())
        for e in events
    ]


async def test_events_are_stored_once_and_the_result_says_which_were_new(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    first = [event(1), event(2)]
    async with pool.connection() as conn:
        assert (await write_batch(conn, first, rows(first), [], [])).stored == 2
        again = [event(2), event(3), event(None)]
        result = await write_batch(conn, again, rows(again), [], [], which=True)
    assert (result.stored, result.new) == (2, [1, 2])
    stored = await fetch(database_url, "SELECT seq, elder_id FROM events ORDER BY seq")
    assert stored == [(1, "KP-1"), (2, "KP-1"), (3, "KP-1"), (None, "KP-1")]


async def test_the_device_row_follows_the_newest_event_of_the_batch(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    batch = [
        event(1, ts=NOW - timedelta(minutes=1), battery=80, rssi=-50),
        event(2, battery=70),
        event(3, ts=NOW - timedelta(minutes=2), battery=99, rssi=-30),
    ]
    async with pool.connection() as conn:
        await write_batch(conn, batch, rows(batch), [], [])
    device = await fetch(
        database_url, "SELECT last_seen, battery, rssi, online, status FROM devices"
    )
    assert device == [(NOW, 70, -50, True, "online")]


async def test_status_changes_set_online_and_the_time_of_the_change(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    later = NOW + timedelta(minutes=5)
    async with pool.connection() as conn:
        await write_batch(conn, [], [], [], [StatusChange("d1", False, NOW)])
        await write_batch(conn, [], [], [], [StatusChange("d1", False, later)])
        state = await fetch(database_url, "SELECT online, status, status_changed_at FROM devices")
        assert state == [(False, "offline", NOW)], "a repeated status is not a change"
        await write_batch(conn, [], [], [], [StatusChange("d1", True, later)])
    state = await fetch(database_url, "SELECT online, status, status_changed_at FROM devices")
    assert state == [(True, "online", later)]


async def test_dead_letters_are_stored_with_their_reason_and_payload(
    pool: Pool, database_url: str
) -> None:
    letter = DeadLetter(NOW, "t/dev/x/events", "x", "unknown_device", "not registered", b"{}", 2)
    async with pool.connection() as conn:
        await write_batch(conn, [], [], [letter], [])
    stored = await fetch(
        database_url,
        "SELECT received_at, topic, device_id, reason, detail, payload, payload_size"
        " FROM dead_letters",
    )
    assert stored == [(NOW, "t/dev/x/events", "x", "unknown_device", "not registered", b"{}", 2)]


def received_time_event(seq: int, received_at: datetime, **fields: Any) -> Event:
    """An event stored with its receive time, as the decoder makes one without a usable ts."""
    fields.setdefault("flags", ("no_device_time",))
    fields.setdefault("kind", "checkin")
    return Event(device_id="d1", ts=received_at, received_at=received_at, seq=seq, **fields)


async def test_a_redelivered_event_without_device_time_is_stored_once(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    first = [received_time_event(7, NOW)]
    # The broker's second delivery arrives later, so its receive time (its ts) differs.
    again = [received_time_event(7, NOW + timedelta(seconds=30)), received_time_event(8, NOW)]
    async with pool.connection() as conn:
        await write_batch(conn, first, rows(first), [], [])
        result = await write_batch(
            conn, again, rows(again), [], [], which=True, suspects=[(0, True), (1, True)]
        )
    assert (result.stored, result.new) == (1, [1])
    assert await fetch(database_url, "SELECT seq FROM events ORDER BY seq") == [(7,), (8,)]


async def stored_again(pool: Pool, first: Event, again: Event, *, redelivered: bool) -> int:
    """Store ``first``, then ``again`` as a suspect; how many of ``again`` were stored."""
    async with pool.connection() as conn:
        await write_batch(conn, [first], rows([first]), [], [])
        result = await write_batch(
            conn, [again], rows([again]), [], [], suspects=[(0, redelivered)]
        )
    return result.stored


def resend(minutes: float, seq: int = 7, **fields: Any) -> Event:
    return received_time_event(seq, NOW + timedelta(minutes=minutes), **fields)


FIRST = resend(0)
DOOR_OPEN = resend(0, seq=8, kind="door", value=1.0)
# (first, again, redelivered by the broker, how many of ``again`` are stored)
SUSPECTS: Final = {
    # The device lost its PUBACK and sent again: the broker forwards it without DUP.
    "a resend without DUP within two minutes is a copy": (FIRST, resend(1.5), False, 0),
    # Not redelivered and not a quick resend: a device that restarted its counter.
    "the same seq without DUP ten minutes later is new": (FIRST, resend(10), False, 1),
    # A restarted counter's SOS is not taken for the press stored a minute ago.
    "a resend without DUP of another kind is new": (FIRST, resend(1, kind="sos"), False, 1),
    "a resend without DUP of another value is new": (
        DOOR_OPEN,
        resend(1, seq=8, kind="door", value=0.0),
        False,
        1,
    ),
    "a broker redelivery an hour later is a copy": (FIRST, resend(60), True, 0),
}


@pytest.mark.parametrize(
    ("first", "again", "redelivered", "stored"), SUSPECTS.values(), ids=SUSPECTS.keys()
)
async def test_a_suspect_without_device_time_is_stored_only_when_it_is_no_copy(
    pool: Pool, database_url: str, first: Event, again: Event, redelivered: bool, stored: int
) -> None:
    await register(database_url, ["d1"])
    assert await stored_again(pool, first, again, redelivered=redelivered) == stored
    assert await fetch(database_url, "SELECT count(*) FROM events") == [(1 + stored,)]


async def test_a_redelivered_skewed_event_matches_only_the_same_device_time(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])

    def skewed(device_ts: str, received_at: datetime) -> Event:
        return received_time_event(
            3, received_at, flags=("clock_skew",), extra={"device_ts": device_ts}
        )

    first = [skewed("2020-01-01T00:00:00+08:00", NOW)]
    later = NOW + timedelta(seconds=10)
    again = [skewed("2020-01-01T00:00:00+08:00", later), skewed("2020-01-02T00:00:00+08:00", later)]
    async with pool.connection() as conn:
        await write_batch(conn, first, rows(first), [], [])
        result = await write_batch(
            conn, again, rows(again), [], [], which=True, suspects=[(0, True), (1, True)]
        )
    assert (result.stored, result.new) == (1, [1])


async def test_the_device_row_moves_only_when_last_seen_gains_30_s_or_battery_changes(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])

    async def write_at(offset_s: int, battery: int) -> tuple[object, ...]:
        batch = [event(offset_s, ts=NOW + timedelta(seconds=offset_s), battery=battery)]
        async with pool.connection() as conn:
            await write_batch(conn, batch, rows(batch), [], [])
        [device] = await fetch(database_url, "SELECT last_seen, battery FROM devices")
        return device

    assert await write_at(0, 80) == (NOW, 80)
    assert await write_at(10, 80) == (NOW, 80)  # busy device: the row is spared
    assert await write_at(20, 79) == (NOW + timedelta(seconds=20), 79)  # battery moved
    assert await write_at(60, 79) == (NOW + timedelta(seconds=60), 79)  # 30 s passed


async def test_a_fast_heartbeat_device_keeps_last_seen_within_a_quarter_interval(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["d1"])
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("UPDATE devices SET heartbeat_interval_s = 20")
    for offset_s in (0, 4, 6):
        batch = [event(offset_s, ts=NOW + timedelta(seconds=offset_s), battery=80)]
        async with pool.connection() as conn:
            await write_batch(conn, batch, rows(batch), [], [])
    # 4 s is within 20/4 = 5 s of the stored 0 s; 6 s is not.
    assert await fetch(database_url, "SELECT last_seen FROM devices") == [
        (NOW + timedelta(seconds=6),)
    ]
