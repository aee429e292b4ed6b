"""The alerts' response times (alerting.kpi_services) on the real database: a hand-built
month whose answers are worked out by hand (tests/alerting/kpi_month.py), the town filter,
the month cut in Asia/Shanghai, and a first ack that survives a re-opening."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from alerting import acking, kpi, kpi_services, services
from alerting.models import AlertSignal, AlertType, Outcome, ResolveRequest
from care.audit import Actor
from care.errors import ForbiddenError, InvalidFieldError
from care.month import Month
from store.db import Conn
from tests.alerting.conftest import add_home
from tests.alerting.kpi_month import (
    CHIKAN,
    EXPECTED_ALL,
    EXPECTED_CHIKAN,
    MONTH,
    SHUIKOU,
    TZ,
    build_month,
    local,
)

ADMIN = Actor("admin", "admin")
MARCH = Month.parse(MONTH)


def rows_of(report: kpi.AlertKpis) -> dict[str, dict[str, Any]]:
    return {f.severity: kpi.flat(f) for f in [*report.severities, report.overall]}


def assert_figures(got: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    for severity, figures in expected.items():
        shown = {key: got[severity][key] for key in figures}
        assert shown == figures, severity


async def test_a_hand_built_month_gives_the_hand_worked_medians_p90s_shares_and_flags(
    conn: Conn,
) -> None:
    await build_month(conn)
    report = await kpi_services.alert_kpis(conn, ADMIN, MARCH, None, tz=TZ, fmt="json")
    got = rows_of(report)
    assert [f.severity for f in report.severities] == ["critical", "high", "low"]
    assert_figures(got, EXPECTED_ALL)
    assert got["all"] == EXPECTED_ALL["all"] | {"severity": "all"}
    assert (report.start, report.end) == (local(3, 1), local(4, 1))


async def test_a_town_counts_its_own_elders_alerts_only(conn: Conn) -> None:
    await build_month(conn)
    report = await kpi_services.alert_kpis(conn, ADMIN, MARCH, CHIKAN, tz=TZ, fmt="json")
    assert report.town == CHIKAN
    assert_figures(rows_of(report), EXPECTED_CHIKAN)
    other = await kpi_services.alert_kpis(conn, ADMIN, MARCH, "水口", tz=TZ, fmt="json")
    assert other.town == SHUIKOU  # an alias names the registered town
    assert [f.alerts for f in other.severities] == [1, 0, 40]


async def test_the_month_is_cut_at_local_midnight_in_asia_shanghai(conn: Conn) -> None:
    await build_month(conn)
    for month, count in (("2026-02", 1), ("2026-04", 1)):
        report = await kpi_services.alert_kpis(
            conn, ADMIN, Month.parse(month), None, tz=TZ, fmt="json"
        )
        assert report.overall.alerts == count, month
        assert report.overall.to_ack.median_s == 5.0


async def test_town_staff_get_their_own_town_and_another_town_is_refused(conn: Conn) -> None:
    await build_month(conn)
    staff = Actor("token:1", "town_staff", SHUIKOU)
    own = await kpi_services.alert_kpis(conn, staff, MARCH, None, tz=TZ, fmt="csv")
    assert (own.town, own.overall.alerts) == (SHUIKOU, 41)
    with pytest.raises(ForbiddenError):
        await kpi_services.alert_kpis(conn, staff, MARCH, CHIKAN, tz=TZ, fmt="json")
    with pytest.raises(InvalidFieldError):
        await kpi_services.alert_kpis(conn, ADMIN, MARCH, "無此鎮", tz=TZ, fmt="json")


async def test_every_export_is_written_to_the_audit_log(conn: Conn) -> None:
    await kpi_services.alert_kpis(conn, ADMIN, MARCH, CHIKAN, tz=TZ, fmt="xlsx")
    cur = await conn.execute(
        "SELECT actor, action, entity, entity_id, town, detail FROM audit_log"
        " WHERE entity = 'report.alerts'"
    )
    assert await cur.fetchall() == [
        ("admin", "export", "report.alerts", MONTH, CHIKAN, {"format": "xlsx"})
    ]


async def test_a_month_without_alerts_has_zero_counts_and_no_figures_to_judge(conn: Conn) -> None:
    report = await kpi_services.alert_kpis(conn, ADMIN, MARCH, None, tz=TZ, fmt="json")
    for row in rows_of(report).values():
        assert (row["alerts"], row["never_notified"], row["acked_within_60s"]) == (0, 0, 0)
        assert row["to_ack_median_s"] is None
        assert row["acked_within_60s_share"] is None
        assert row["target_60s_met"] is None


async def test_the_first_ack_counts_when_a_new_press_opens_the_acked_alert_again(
    conn: Conn,
) -> None:
    """Through the real lifecycle: the re-opening clears ``acked_at``; the second ack sets
    it again, later; the report keeps the first."""
    await add_home(conn, "KP-1", "pat-1")
    opened_at = datetime(2026, 3, 9, 9, 0, tzinfo=TZ)
    signal = AlertSignal(AlertType.SOS, "KP-1", "pat-1")
    alert = (await services.open_alert(conn, signal, opened_at)).alert
    after = [opened_at + timedelta(seconds=s) for s in (40, 100, 300, 500)]
    await acking.acknowledge_alert(conn, alert.id, by="李值班", actor=ADMIN, now=after[0])
    await services.open_alert(conn, signal, after[1])  # a second press: open again
    await acking.acknowledge_alert(conn, alert.id, by="李值班", actor=ADMIN, now=after[2])
    resolve = ResolveRequest(by="李值班", outcome=Outcome.HANDLED_AT_HOME)
    await services.resolve(conn, ADMIN, alert.id, resolve, after[3])
    report = await kpi_services.alert_kpis(conn, ADMIN, MARCH, None, tz=TZ, fmt="json")
    critical = report.severities[0]
    assert (critical.to_ack.median_s, critical.to_resolve.median_s) == (40.0, 500.0)
    assert critical.acked_within == {60: 1, 180: 1}
