"""Check-ins become online visits: one per elder per local day, the earliest press the
source, the others evidence, and nothing twice under redelivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from care.online_visits import reconcile_checkin_visits, record_checkin_visits
from devices.schema import Event
from store.db import Conn
from store.pool import Pool
from tests.care.conftest import add_device, add_elder

TZ = ZoneInfo("Asia/Shanghai")


def press(device: str, at: datetime, kind: str = "checkin") -> Event:
    return Event(device_id=device, ts=at, kind=kind, received_at=at)


async def record(
    pool: Pool, events: Sequence[Event], elder_ids: Sequence[str | None] | None = None
) -> None:
    """One committed batch, as the gateway's in-transaction step records it."""
    owners = list(elder_ids) if elder_ids is not None else [None] * len(events)
    async with pool.connection() as conn, conn.transaction():
        await record_checkin_visits(conn, events, owners, TZ)


async def online_visits(conn: Conn) -> list[tuple[str, datetime, str, str]]:
    cur = await conn.execute(
        "SELECT elder_id, visited_at, source_device_id, visit_day::text FROM visits"
        " WHERE source = 'checkin' ORDER BY elder_id, visited_at"
    )
    return list(await cur.fetchall())


async def evidence(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) FROM visit_evidence")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_presses_of_one_day_make_one_online_visit_with_the_rest_as_evidence(
    conn: Conn, pool: Pool
) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    await add_device(conn, "pat-2", "KP-1")
    first = datetime(2026, 5, 3, 8, 0, tzinfo=TZ)
    await record(pool, [press("pat-1", first), press("pat-2", first + timedelta(hours=3))])
    await record(pool, [press("pat-1", first + timedelta(hours=6))])
    assert await online_visits(conn) == [("KP-1", first, "pat-1", "2026-05-03")]
    assert await evidence(conn) == 3


async def test_redelivered_batch_records_nothing_twice(conn: Conn, pool: Pool) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    at = datetime(2026, 5, 3, 8, 0, tzinfo=TZ)
    batch = [press("pat-1", at)]
    await record(pool, batch, ["KP-1"])
    await record(pool, batch, ["KP-1"])
    assert len(await online_visits(conn)) == 1
    assert await evidence(conn) == 1


async def test_an_earlier_press_arriving_late_becomes_the_source(conn: Conn, pool: Pool) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    late = datetime(2026, 5, 3, 18, 0, tzinfo=TZ)
    early = datetime(2026, 5, 3, 7, 0, tzinfo=TZ)
    await record(pool, [press("pat-1", late)])
    await record(pool, [press("pat-1", early)])
    [(_, visited_at, _, _)] = await online_visits(conn)
    assert visited_at == early
    assert await evidence(conn) == 2


async def test_local_day_not_utc_day_decides_one_a_day(conn: Conn, pool: Pool) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    evening = datetime(2026, 5, 3, 23, 30, tzinfo=TZ)  # 15:30 UTC on the 3rd
    after_midnight = datetime(2026, 5, 3, 16, 30, tzinfo=UTC)  # 00:30 on the 4th locally
    await record(pool, [press("pat-1", evening), press("pat-1", after_midnight)])
    days = [row[3] for row in await online_visits(conn)]
    assert days == ["2026-05-03", "2026-05-04"]


async def test_other_kinds_and_unassigned_devices_make_no_visit(conn: Conn, pool: Pool) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    await add_device(conn, "pat-free", None)
    at = datetime(2026, 5, 3, 8, 0, tzinfo=TZ)
    await record(pool, [press("pat-1", at, "sos"), press("pat-free", at)])
    await record(pool, [press("pat-free", at)], [None])
    assert await online_visits(conn) == []


async def test_elder_given_by_the_batch_wins_over_a_lookup(conn: Conn, pool: Pool) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", None)
    at = datetime(2026, 5, 3, 8, 0, tzinfo=TZ)
    await record(pool, [press("pat-1", at)], ["KP-1"])
    assert [row[0] for row in await online_visits(conn)] == ["KP-1"]


async def stored(conn: Conn, device: str, elder: str | None, at: datetime, kind: str) -> None:
    """An event as the gateway stores it (its in-transaction step not run)."""
    await conn.execute(
        "INSERT INTO events (device_id, ts, kind, elder_id, received_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (device, at, kind, elder, at),
    )


async def test_reconcile_records_the_recent_presses_that_have_no_visit_and_only_those(
    conn: Conn, pool: Pool
) -> None:
    await add_elder(conn, "KP-1")
    await add_device(conn, "pat-1", "KP-1")
    now = datetime(2026, 5, 10, 12, 0, tzinfo=TZ)
    missed = now - timedelta(days=1)
    recorded = now - timedelta(days=2)
    await stored(conn, "pat-1", "KP-1", missed, "checkin")
    await stored(conn, "pat-1", "KP-1", recorded, "checkin")
    await record(pool, [press("pat-1", recorded)], ["KP-1"])
    await stored(conn, "pat-1", "KP-1", now - timedelta(days=9), "checkin")  # too old
    await stored(conn, "pat-1", "KP-1", missed + timedelta(minutes=1), "motion")
    await stored(conn, "pat-x", "KP-GONE", missed, "checkin")  # elder no longer on file
    await stored(conn, "pat-y", None, missed, "checkin")  # nobody's press
    async with pool.connection() as c, c.transaction():
        assert await reconcile_checkin_visits(c, now, TZ) == 1
    async with pool.connection() as c, c.transaction():
        assert await reconcile_checkin_visits(c, now, TZ) == 0
    visits = await online_visits(conn)
    assert [(elder, at) for elder, at, _, _ in visits] == [("KP-1", recorded), ("KP-1", missed)]
    assert await evidence(conn) == 2
