"""Alerts that resolve themselves: the system clears the active alert of a condition that
is gone, with an outcome and a timeline row; nothing to clear is no error; a person's
resolve comes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerting.clearing import DEVICE_BACK, clear_device_alert
from alerting.models import AlertSignal, AlertType, Severity
from alerting.services import open_alert
from store.db import Conn
from tests.alerting.conftest import add_home

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)


async def test_a_device_back_clears_its_offline_alert_with_a_timeline_row(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    signal = AlertSignal(AlertType.DEVICE_OFFLINE, "KP-1", "pat-1", severity=Severity.HIGH)
    opened = (await open_alert(conn, signal, T0)).alert
    later = T0 + timedelta(minutes=5)
    cleared = await clear_device_alert(
        conn, AlertType.DEVICE_OFFLINE, "pat-1", later, reason=DEVICE_BACK
    )
    assert cleared is not None
    assert cleared.id == opened.id
    assert (cleared.status, cleared.outcome, cleared.resolved_by) == (
        "resolved",
        "device_fault",
        "system",
    )
    assert cleared.resolved_at == later
    cur = await conn.execute(
        "SELECT kind, actor, detail ->> 'reason' FROM alert_timeline"
        " WHERE alert_id = %s ORDER BY at, id",
        (opened.id,),
    )
    assert await cur.fetchall() == [
        ("opened", "system", None),
        ("cleared", "system", "device back"),
    ]


async def test_clearing_with_no_active_alert_changes_nothing(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    assert await clear_device_alert(conn, AlertType.BATTERY_LOW, "pat-1", T0, reason="x") is None


async def test_a_device_offline_again_after_its_clear_opens_a_new_alert(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    signal = AlertSignal(AlertType.DEVICE_OFFLINE, "KP-1", "pat-1")
    first = (await open_alert(conn, signal, T0)).alert
    await clear_device_alert(conn, AlertType.DEVICE_OFFLINE, "pat-1", T0, reason=DEVICE_BACK)
    second = (await open_alert(conn, signal, T0 + timedelta(hours=1))).alert
    assert second.id != first.id
    assert second.status == "open"
