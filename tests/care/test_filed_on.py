"""The day a file was opened (filed_on) decides from which month an elder is on file:
a paper file typed in later counts in the months since it was really opened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from care import compliance_repo, report
from care.month import Month
from store.db import Conn
from tests.care.conftest import add_elder

TZ = ZoneInfo("Asia/Shanghai")
MAY = Month(2026, 5)
TYPED_IN = datetime(2026, 6, 10, 9, tzinfo=UTC)


async def test_a_back_entered_file_counts_from_the_day_it_was_opened(conn: Conn) -> None:
    await add_elder(conn, "PAPER", created_at=TYPED_IN, filed_on=date(2026, 3, 1))
    await add_elder(
        conn, "LATER", created_at=datetime(2020, 1, 1, tzinfo=UTC), filed_on=date(2026, 6, 1)
    )
    await add_elder(conn, "OLD", created_at=datetime(2020, 1, 1, tzinfo=UTC))  # no filed_on
    await add_elder(conn, "NEW", created_at=TYPED_IN)  # no filed_on, created in June
    got = await report.monthly_report(conn, MAY, None, date(2026, 6, 15), TZ)
    assert got.total["on_file"] == 2  # PAPER and OLD
    due = await compliance_repo.town_month(conn, None, MAY, MAY.last_day, TZ)
    assert sorted(e.elder_id for e in due) == ["OLD", "PAPER"]


async def test_filed_on_the_last_day_of_the_month_counts_in_that_month(conn: Conn) -> None:
    await add_elder(conn, "EDGE", created_at=TYPED_IN, filed_on=date(2026, 5, 31))
    got = await report.monthly_report(conn, MAY, None, date(2026, 6, 15), TZ)
    assert got.total["on_file"] == 1
    april = await report.monthly_report(conn, Month(2026, 4), None, date(2026, 6, 15), TZ)
    assert april.total["on_file"] == 0
