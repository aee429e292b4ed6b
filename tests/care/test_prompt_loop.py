"""The check-in prompt round against the database: who is prompted, once a day even across
rounds and restarts, and a failed publish is retried."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from care import prompts_repo
from care.prompts import PromptRule, prompt_once, run_prompts
from store.db import Conn
from store.pool import Pool
from tests.care.conftest import add_device, add_elder, add_visit

TZ = ZoneInfo("Asia/Shanghai")
NOON_21ST = datetime(2026, 5, 21, 12, 0, tzinfo=TZ)
RULE = PromptRule(TZ, prompt_day=20)


class FakePublish:
    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def __call__(self, device_id: str, payload: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append((device_id, payload))


async def households(conn: Conn) -> None:
    # B: 60-79 carer; C: 70 living alone; A: 85 living alone; C visited this month.
    await add_elder(conn, "B1", birth_date=date(1960, 1, 1), cares_for_dependent_child=True)
    await add_elder(conn, "C1", birth_date=date(1956, 1, 1))
    await add_elder(conn, "A1", birth_date=date(1941, 1, 1))
    await add_elder(conn, "C2", birth_date=date(1956, 1, 1))
    for elder in ("B1", "C1", "A1", "C2"):
        await add_device(conn, f"pat-{elder}", elder)
    await add_device(conn, "pir-C1", "C1", "motion_sensor")
    await add_visit(conn, "C2", datetime(2026, 5, 2, 10, tzinfo=TZ))


async def test_class_b_and_c_buttons_not_covered_are_prompted_once_a_day(
    conn: Conn, pool: Pool
) -> None:
    await households(conn)
    publish = FakePublish()
    assert await prompt_once(pool, RULE, publish, NOON_21ST) == 2
    assert sorted(d for d, _ in publish.sent) == ["pat-B1", "pat-C1"]
    assert publish.sent[0][1]["cmd"] == "checkin_prompt"
    # Another round the same day (another gateway, a restart): nothing more.
    assert await prompt_once(pool, RULE, FakePublish(), NOON_21ST.replace(hour=15)) == 0
    # Next day: again.
    assert await prompt_once(pool, RULE, FakePublish(), NOON_21ST.replace(day=22)) == 2


async def test_no_prompts_at_night_or_before_the_prompt_day(conn: Conn, pool: Pool) -> None:
    await households(conn)
    publish = FakePublish()
    assert await prompt_once(pool, RULE, publish, NOON_21ST.replace(hour=21)) == 0
    assert await prompt_once(pool, RULE, publish, NOON_21ST.replace(day=19)) == 0
    assert publish.sent == []


async def test_a_failed_publish_gives_the_claim_back_for_a_later_round(
    conn: Conn, pool: Pool
) -> None:
    await households(conn)
    assert await prompt_once(pool, RULE, FakePublish(fail=True), NOON_21ST) == 0
    assert await prompt_once(pool, RULE, FakePublish(), NOON_21ST) == 2


async def test_watch_period_prompts_daily_from_the_first_of_the_month(
    conn: Conn, pool: Pool
) -> None:
    await households(conn)
    await conn.execute(
        "INSERT INTO watch_periods (town, starts_on, ends_on, reason, min_visits_per_week)"
        " VALUES ('赤坎鎮', '2026-05-01', '2026-05-07', '台風', 2)"
    )
    publish = FakePublish()
    assert await prompt_once(pool, RULE, publish, NOON_21ST.replace(day=3)) == 3
    assert "pat-C2" in {d for d, _ in publish.sent}


async def test_loop_runs_rounds_on_the_injected_clock_until_stopped(conn: Conn, pool: Pool) -> None:
    await households(conn)
    stop = asyncio.Event()
    ticks = iter([NOON_21ST, NOON_21ST.replace(day=22)])
    publish = FakePublish()

    def clock() -> datetime:
        try:
            return next(ticks)
        except StopIteration:
            stop.set()
            return NOON_21ST.replace(hour=23)

    await asyncio.wait_for(run_prompts(pool, RULE, publish, stop, clock, interval_s=0.01), 10)
    assert len(publish.sent) == 4
    assert {p["id"][:16] for _, p in publish.sent} == {"checkin-20260521", "checkin-20260522"}


@pytest.mark.parametrize("hour", [8, 20])
async def test_prompt_window_edges_are_local_time(conn: Conn, pool: Pool, hour: int) -> None:
    await households(conn)
    assert await prompt_once(pool, RULE, FakePublish(), NOON_21ST.replace(hour=hour)) == 0


async def test_an_elder_with_two_buttons_gets_one_prompt_a_day_on_the_online_one(
    conn: Conn, pool: Pool
) -> None:
    await add_elder(conn, "C1", birth_date=date(1956, 1, 1))
    await add_device(conn, "pat-a", "C1")
    await add_device(conn, "pat-b", "C1")
    await conn.execute("UPDATE devices SET online = true WHERE id = 'pat-b'")
    publish = FakePublish()
    assert await prompt_once(pool, RULE, publish, NOON_21ST) == 1
    assert [d for d, _ in publish.sent] == ["pat-b"]
    # The other button cannot be claimed for the same elder and day, by any gateway.
    await conn.execute("UPDATE devices SET online = false WHERE id = 'pat-b'")
    assert await prompt_once(pool, RULE, FakePublish(), NOON_21ST.replace(hour=15)) == 0
    async with pool.connection() as c:
        again = await prompts_repo.claim(
            c, "pat-a", elder_id="C1", day=NOON_21ST.date(), now=NOON_21ST, prompt_id="x"
        )
    assert again is False


async def test_prompt_day_31_fires_on_the_30th_of_april(conn: Conn, pool: Pool) -> None:
    await households(conn)
    late = PromptRule(TZ, prompt_day=31)
    april_30 = datetime(2026, 4, 30, 12, tzinfo=TZ)
    assert await prompt_once(pool, late, FakePublish(), april_30.replace(day=29)) == 0
    assert await prompt_once(pool, late, FakePublish(), april_30) == 3  # C2 unvisited in April
