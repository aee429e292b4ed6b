"""The monthly statistics table's alert columns (告警：… by type, 告警合計) come from the
alerts table: the hand-built month of tests/alerting/kpi_month.py, cut in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime

from care import report
from care.month import Month
from store.db import Conn
from tests.alerting.kpi_month import CHIKAN, SHUIKOU, TZ, build_month
from tests.care.conftest import add_elder

MARCH = Month(2026, 3)
JUDGED_ON = date(2026, 11, 30)


async def test_the_alert_columns_count_each_towns_elders_alerts_of_the_month_by_type(
    conn: Conn,
) -> None:
    await build_month(conn)
    got = await report.monthly_report(conn, MARCH, None, JUDGED_ON, TZ)
    towns = {row["town"]: row for row in got.towns}
    chikan, shuikou = towns[CHIKAN], towns[SHUIKOU]
    assert (chikan["alerts_sos"], chikan["alerts_device_offline"], chikan["alerts_total"]) == (
        5,
        2,
        7,
    )
    assert (shuikou["alerts_sos"], shuikou["alerts_battery_low"], shuikou["alerts_total"]) == (
        1,
        40,
        41,
    )
    # The alert of no elder (a device's in no home) is no town's: in no row, not in the total.
    assert got.total["alerts_total"] == 48
    assert got.total["alerts_sos"] == 6
    # 02-28 23:59:59 local is February's, 04-01 00:00 local April's.
    for month in (Month(2026, 2), Month(2026, 4)):
        other = await report.monthly_report(conn, month, CHIKAN, JUDGED_ON, TZ)
        assert other.total["alerts_sos"] == 1, month


async def test_a_town_with_alerts_but_no_file_on_record_in_the_month_keeps_them(
    conn: Conn,
) -> None:
    await add_elder(conn, "KP-7", town="蒼城鎮", created_at=datetime(2026, 6, 1, tzinfo=UTC))
    await conn.execute(
        "INSERT INTO alerts (type, severity, subject, elder_id, opened_at, last_seen_at, summary)"
        " VALUES ('fall', 'critical', 'elder:KP-7', 'KP-7', %s, %s, 'test')",
        (datetime(2026, 3, 9, 1, tzinfo=UTC), datetime(2026, 3, 9, 1, tzinfo=UTC)),
    )
    got = await report.monthly_report(conn, MARCH, None, JUDGED_ON, TZ)
    assert [(r["town"], r["on_file"], r["alerts_fall"]) for r in got.towns] == [("蒼城鎮", 0, 1)]
    assert got.total["alerts_total"] == 1
