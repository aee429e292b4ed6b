"""Town-level alerts in the figures: a storm's incident and a town's visit_overdue count in
their town's monthly alert columns and response times; the devices' alerts grouped under
the incident are answered through it and leave the response times alone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alerting import kpi, kpi_services
from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from alerting.storm_services import open_offline
from alerting.storms import StormRule
from care import report_repo
from care.audit import Actor
from care.month import Month
from store.db import Conn
from tests.alerting.conftest import add_home

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 10, 2, tzinfo=UTC)
NOV = Month(2026, 11)
CHIKAN = "赤坎鎮"


async def storm(conn: Conn) -> None:
    """20 devices of 赤坎鎮 offline at once, and the town's visit_overdue."""
    signals = []
    for n in range(20):
        await add_home(conn, f"KP-{n:02d}", f"pir-{n:02d}", "motion_sensor")
        signals.append(AlertSignal(AlertType.DEVICE_OFFLINE, f"KP-{n:02d}", f"pir-{n:02d}"))
    async with conn.transaction():
        await open_offline(conn, signals, AT, StormRule())
        await open_alert(conn, AlertSignal(AlertType.VISIT_OVERDUE, None, town=CHIKAN), AT)


async def test_the_monthly_alert_columns_count_town_level_alerts_in_their_town(
    conn: Conn,
) -> None:
    await storm(conn)
    counts = await report_repo.alert_counts(conn, NOV, CHIKAN, TZ)
    # 20 devices and the incident; the town's own visit_overdue.
    assert counts == {(CHIKAN, "device_offline"): 21, (CHIKAN, "visit_overdue"): 1}


async def test_grouped_alerts_leave_the_response_times_and_the_incident_counts(
    conn: Conn,
) -> None:
    await storm(conn)
    admin = Actor("admin", "admin")
    report = await kpi_services.alert_kpis(conn, admin, NOV, CHIKAN, tz=TZ, fmt="json")
    figures = {f.severity: kpi.flat(f) for f in report.severities}
    assert figures["high"]["alerts"] == 1  # the incident
    assert figures["low"]["alerts"] == 1  # the town's visit_overdue
