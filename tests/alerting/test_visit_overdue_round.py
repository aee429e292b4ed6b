"""The visit_overdue round on the real database, on hand-built towns whose due lists are
known: nothing for the towns before the day; on the day one alert per town with the right
elders; an A-class elder's overdue in-home visit any day; cleared when the visits are made
or the month ends; once a day (a second round changes nothing, the next day refreshes);
and an alert a person resolved is not raised again the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerting import services
from alerting.models import Outcome, ResolveRequest
from alerting.visit_overdue import VisitOverdueRule
from alerting.visit_overdue_services import Round, check_visits
from care.audit import Actor
from store.db import Conn
from tests.care.conftest import add_elder, add_visit

TZ = ZoneInfo("Asia/Shanghai")
RULE = VisitOverdueRule(TZ, 25)
CHIKAN = "赤坎鎮"
SHUIKOU = "水口鎮"
OPERATOR = Actor("operator", "duty-desk", None)


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def in_home(month: int, day: int) -> datetime:
    return local(date(2026, month, day)).astimezone(UTC)


async def county(conn: Conn) -> None:
    """赤坎鎮: KP-A1 (A, last in-home in October: due this month), KP-A2 (A, last in-home
    in September: overdue), KP-C1 (C, phoned this month: met), KP-C2 (C, nothing this
    month), KP-R (A, refuses visits). 水口鎮: KP-S (C, nothing this month)."""
    await add_elder(conn, "KP-A1", incapacitated=True)
    await add_elder(conn, "KP-A2", incapacitated=True)
    await add_elder(conn, "KP-C1")
    await add_elder(conn, "KP-C2")
    await add_elder(conn, "KP-R", incapacitated=True, visit_consent=False)
    await add_elder(conn, "KP-S", town=SHUIKOU)
    await add_visit(conn, "KP-A1", in_home(10, 5), "in_home")
    await add_visit(conn, "KP-A2", in_home(9, 10), "in_home")
    for elder_id in ("KP-C1", "KP-C2", "KP-S"):
        await add_visit(conn, elder_id, in_home(6, 1), "in_home")
    await add_visit(conn, "KP-C1", in_home(11, 3), "phone")


async def check(conn: Conn, day: date, hour: int = 10) -> Round:
    async with conn.transaction():
        done = await check_visits(conn, RULE, local(day, hour))
    assert done is not None
    return done


async def overdue(conn: Conn) -> list[tuple[Any, ...]]:
    cur = await conn.execute(
        "SELECT subject, elder_id, town, severity, status, count, summary, notes FROM alerts"
        " WHERE type = 'visit_overdue' ORDER BY id"
    )
    return await cur.fetchall()


async def listed(conn: Conn, subject: str) -> list[str]:
    """The elders the opening row of the town's active alert lists."""
    cur = await conn.execute(
        "SELECT t.detail FROM alert_timeline t JOIN alerts a ON a.id = t.alert_id"
        " WHERE a.subject = %s AND a.status <> 'resolved' AND t.kind = 'opened'",
        (subject,),
    )
    row = await cur.fetchone()
    assert row is not None
    return [e["elder_id"] for e in row[0]["listed"]]


async def test_before_the_day_only_an_overdue_a_class_in_home_visit_raises_an_alert(
    conn: Conn,
) -> None:
    await county(conn)
    done = await check(conn, date(2026, 11, 24))
    assert (done.opened, done.cleared) == (1, 0)
    assert await overdue(conn) == [
        (
            "elder:KP-A2",
            "KP-A2",
            None,
            "low",
            "open",
            1,
            "探訪逾期 — A 類上門探訪逾期（應於 2026-10-31 前）",
            None,
        )
    ]


async def test_on_the_day_each_town_gets_one_alert_listing_its_elders_and_visits_clear_it(
    conn: Conn,
) -> None:
    await county(conn)
    done = await check(conn, date(2026, 11, 25))
    assert done.opened == 3
    rows = {row[0]: row for row in await overdue(conn)}
    assert set(rows) == {"elder:KP-A2", f"town:{CHIKAN}", f"town:{SHUIKOU}"}
    assert rows[f"town:{CHIKAN}"][1:7] == (
        None,
        CHIKAN,
        "low",
        "open",
        1,
        f"探訪逾期 — {CHIKAN} 3 位長者本月未達標",
    )
    assert await listed(conn, f"town:{CHIKAN}") == ["KP-A2", "KP-A1", "KP-C2"]
    assert await listed(conn, f"town:{SHUIKOU}") == ["KP-S"]
    # The town's alert escalates to the town (the low policy's one step): it has its row.
    cur = await conn.execute(
        "SELECT count(*) FROM alert_escalations x JOIN alerts a ON a.id = x.alert_id"
        " WHERE a.type = 'visit_overdue'"
    )
    assert await cur.fetchone() == (3,)
    # KP-A2's in-home visit: their own alert clears, the town's list shrinks.
    await add_visit(conn, "KP-A2", in_home(11, 25), "in_home")
    done = await check(conn, date(2026, 11, 25), 12)
    assert (done.opened, done.cleared) == (0, 1)
    rows = {row[0]: row for row in await overdue(conn)}
    assert rows["elder:KP-A2"][4:] == (
        "resolved",
        1,
        rows["elder:KP-A2"][6],
        "cleared: in-home visit no longer overdue",
    )
    assert rows[f"town:{CHIKAN}"][6] == f"探訪逾期 — {CHIKAN} 2 位長者本月未達標"
    # The rest of 赤坎鎮's month is met: its alert clears; 水口鎮's stands.
    await add_visit(conn, "KP-A1", in_home(11, 26), "in_home")
    await add_visit(conn, "KP-C2", in_home(11, 26), "video")
    await check(conn, date(2026, 11, 26))
    rows = {row[0]: row for row in await overdue(conn)}
    assert rows[f"town:{CHIKAN}"][4] == "resolved"
    assert rows[f"town:{CHIKAN}"][7] == "cleared: month met"
    assert rows[f"town:{SHUIKOU}"][4] == "open"
    # The month ends: what is left of it clears.
    await check(conn, date(2026, 12, 1))
    rows = {row[0]: row for row in await overdue(conn)}
    assert rows[f"town:{SHUIKOU}"][4:8:3] == ("resolved", "cleared: month ended")


async def test_a_second_round_the_same_day_changes_nothing_and_the_next_day_refreshes(
    conn: Conn,
) -> None:
    await county(conn)
    await check(conn, date(2026, 11, 25), 10)
    again = await check(conn, date(2026, 11, 25), 18)
    assert (again.opened, again.refreshed, again.cleared) == (0, 0, 0)
    assert {row[5] for row in await overdue(conn)} == {1}
    next_day = await check(conn, date(2026, 11, 26), 9)
    assert (next_day.opened, next_day.refreshed) == (0, 3)
    assert {row[5] for row in await overdue(conn)} == {2}
    cur = await conn.execute(
        "SELECT t.detail -> 'elders' FROM alert_timeline t JOIN alerts a ON a.id = t.alert_id"
        " WHERE t.kind = 'still_due' AND a.subject = %s",
        (f"town:{CHIKAN}",),
    )
    assert await cur.fetchall() == [(3,)]


async def test_an_alert_a_person_resolved_is_not_raised_again_before_the_next_day(
    conn: Conn,
) -> None:
    await county(conn)
    await check(conn, date(2026, 11, 25))
    cur = await conn.execute("SELECT id FROM alerts WHERE subject = %s", (f"town:{SHUIKOU}",))
    row = await cur.fetchone()
    assert row is not None
    request = ResolveRequest(by="小李", outcome=Outcome.OTHER, notes="下周上門")
    async with conn.transaction():
        await services.resolve(conn, OPERATOR, row[0], request, local(date(2026, 11, 25), 11))
    assert (await check(conn, date(2026, 11, 25), 15)).opened == 0
    assert (await check(conn, date(2026, 11, 26), 9)).opened == 1
    statuses = [r[4] for r in await overdue(conn) if r[0] == f"town:{SHUIKOU}"]
    assert statuses == ["resolved", "open"]


async def test_town_staff_see_their_towns_alert(conn: Conn) -> None:
    await county(conn)
    await check(conn, date(2026, 11, 25))
    staff = Actor("token:7", "town_staff", SHUIKOU)
    async with conn.transaction():
        seen = await services.list_alerts(
            conn, staff, status=None, elder_id=None, alert_type=None, before_id=None, limit=10
        )
    assert [(a.type, a.elder_id, a.summary) for a in seen] == [
        ("visit_overdue", None, f"探訪逾期 — {SHUIKOU} 1 位長者本月未達標")
    ]
