"""Opening, counting, reopening, cancelling and the events path on the real database; one
active alert per condition under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from alerting.events import reconcile_event_alerts, record_event_alerts
from alerting.models import AlertSignal, AlertType, Change, EventKey, Severity
from alerting.services import open_alert
from devices.schema import Event
from store.db import Conn
from tests.alerting.conftest import add_home

T0 = datetime(2026, 11, 29, 0, 15, tzinfo=UTC)
WINDOW = timedelta(seconds=60)


def sos(at: datetime, device: str = "pat-1", kind: str = "sos") -> EventKey:
    return EventKey(device, at, kind)


async def timeline_kinds(conn: Conn, alert_id: int) -> list[str]:
    cur = await conn.execute(
        "SELECT kind FROM alert_timeline WHERE alert_id = %s ORDER BY at, id", (alert_id,)
    )
    return [kind for (kind,) in await cur.fetchall()]


async def test_a_signal_opens_an_alert_with_its_summary_and_a_timeline_row(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    done = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1", event=sos(T0)), T0)
    assert done.change is Change.OPENED
    alert = done.alert
    assert (alert.type, alert.severity, alert.status, alert.count) == ("sos", "critical", "open", 1)
    assert alert.summary == "SOS 求助 — 平安通 (bedroom)"
    assert alert.opened_at == T0
    assert alert.escalation_level == 0
    assert await timeline_kinds(conn, alert.id) == ["opened"]


async def test_a_repeated_signal_counts_on_the_open_alert_instead_of_opening_another(
    conn: Conn,
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    first = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1", event=sos(T0)), T0)
    later = T0 + timedelta(seconds=5)
    again = await open_alert(
        conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1", event=sos(later)), later
    )
    assert again.change is Change.REFRESHED
    assert again.alert.id == first.alert.id
    assert (again.alert.count, again.alert.last_seen_at, again.alert.opened_at) == (2, later, T0)


async def test_the_same_event_is_never_counted_twice(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    signal = AlertSignal(AlertType.SOS, "KP-1", "pat-1", event=sos(T0))
    await open_alert(conn, signal, T0)
    again = await open_alert(conn, signal, T0 + timedelta(seconds=1))
    assert again.change is Change.DUPLICATE
    assert again.alert.count == 1


async def test_a_critical_signal_reopens_an_acked_alert_but_a_low_one_only_counts(
    conn: Conn,
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    first = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
    await conn.execute(
        "UPDATE alerts SET status = 'acked', acked_at = %s, acked_by = 'x' WHERE id = %s",
        (T0, first.alert.id),
    )
    again = await open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
    assert again.change is Change.REOPENED
    assert (again.alert.status, again.alert.acked_at, again.alert.acked_by) == ("open", None, None)
    assert await timeline_kinds(conn, first.alert.id) == ["opened", "reopened"]

    low = await open_alert(conn, AlertSignal(AlertType.BATTERY_LOW, "KP-1", "pat-1"), T0)
    await conn.execute("UPDATE alerts SET status = 'acked' WHERE id = %s", (low.alert.id,))
    counted = await open_alert(conn, AlertSignal(AlertType.BATTERY_LOW, "KP-1", "pat-1"), T0)
    assert (counted.change, counted.alert.status) == (Change.REFRESHED, "acked")


async def test_a_resolved_alert_leaves_room_for_a_new_one(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    first = await open_alert(conn, AlertSignal(AlertType.FALL, "KP-1", "pat-1"), T0)
    await conn.execute("UPDATE alerts SET status = 'resolved' WHERE id = %s", (first.alert.id,))
    second = await open_alert(conn, AlertSignal(AlertType.FALL, "KP-1", "pat-1"), T0)
    assert second.change is Change.OPENED
    assert second.alert.id != first.alert.id


async def test_device_health_is_one_alert_per_device(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    await add_home(conn, "KP-1", "pat-2")
    one = await open_alert(conn, AlertSignal(AlertType.BATTERY_LOW, "KP-1", "pat-1"), T0)
    two = await open_alert(conn, AlertSignal(AlertType.BATTERY_LOW, "KP-1", "pat-2"), T0)
    assert one.alert.id != two.alert.id
    assert one.alert.severity == Severity.LOW


async def test_two_connections_opening_the_same_condition_at_once_make_one_alert_counted_twice(
    conn: Conn, database_url: str
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    async with (
        await psycopg.AsyncConnection.connect(database_url) as a,
        await psycopg.AsyncConnection.connect(database_url) as b,
    ):
        # Both insert inside open transactions; the second waits on the first's row and,
        # once it commits, counts on it.
        first = await open_alert(a, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
        second_task = asyncio.create_task(
            open_alert(b, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), T0)
        )
        done, _ = await asyncio.wait({second_task}, timeout=0.3)
        assert not done, "the second opening must wait for the first to commit"
        await a.commit()
        second = await second_task
        await b.commit()
    assert first.change is Change.OPENED
    assert second.change is Change.REFRESHED
    cur = await conn.execute("SELECT count(*), sum(count) FROM alerts")
    assert await cur.fetchone() == (1, 2)


def stored(kind: str, at: datetime, device: str = "pat-1", value: float | None = None) -> Event:
    return Event(device_id=device, ts=at, kind=kind, received_at=at, value=value)


async def test_stored_critical_events_open_alerts_and_a_smoke_clear_does_not(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    await add_home(conn, "KP-1", "smk-1", "smoke_detector", room="kitchen")
    events = [
        stored("sos", T0),
        stored("smoke", T0, "smk-1", 0),
        stored("motion", T0),
        stored("smoke", T0 + timedelta(seconds=1), "smk-1", 1),
    ]
    tally = await record_event_alerts(conn, events, ["KP-1"] * 4, WINDOW)
    assert tally.opened == 2
    cur = await conn.execute("SELECT type, summary FROM alerts ORDER BY type")
    assert await cur.fetchall() == [
        ("smoke", "煙霧報警 — 煙霧探測器 (kitchen)"),
        ("sos", "SOS 求助 — 平安通 (bedroom)"),
    ]


async def test_a_cancel_within_the_window_marks_the_sos_and_leaves_it_open(conn: Conn) -> None:
    await add_home(conn, "KP-1", "pat-1")
    await record_event_alerts(conn, [stored("sos", T0)], ["KP-1"], WINDOW)
    cancel = stored("cancel", T0 + timedelta(seconds=30))
    tally = await record_event_alerts(conn, [cancel], ["KP-1"], WINDOW)
    assert tally.cancelled == 1
    cur = await conn.execute("SELECT id, status, cancelled_by_elder FROM alerts")
    alert_id, status, cancelled = (await cur.fetchall())[0]
    assert (status, cancelled) == ("open", True)
    assert await timeline_kinds(conn, alert_id) == ["opened", "cancelled_by_elder"]


@pytest.mark.parametrize(
    ("device", "after_s"), [("pat-1", 61), ("pat-2", 10)], ids=["too-late", "other-device"]
)
async def test_a_cancel_too_late_or_from_another_device_changes_nothing(
    conn: Conn, device: str, after_s: int
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    await add_home(conn, "KP-1", "pat-2")
    await record_event_alerts(conn, [stored("sos", T0)], ["KP-1"], WINDOW)
    cancel = stored("cancel", T0 + timedelta(seconds=after_s), device)
    assert (await record_event_alerts(conn, [cancel], ["KP-1"], WINDOW)).cancelled == 0
    cur = await conn.execute("SELECT status, cancelled_by_elder FROM alerts")
    assert await cur.fetchall() == [("open", False)]


async def test_the_reconcile_opens_the_alert_of_a_stored_sos_that_has_none_once(
    conn: Conn,
) -> None:
    await add_home(conn, "KP-1", "pat-1")
    await conn.execute(
        "INSERT INTO events (device_id, ts, seq, kind, elder_id, received_at)"
        " VALUES ('pat-1', %s, 1, 'sos', 'KP-1', %s), ('pat-1', %s, 2, 'gas', 'KP-1', %s)",
        (T0, T0, T0, T0 - timedelta(hours=2)),
    )
    now = T0 + timedelta(seconds=3)
    assert await reconcile_event_alerts(conn, now, WINDOW) == 1  # the old gas is history
    assert await reconcile_event_alerts(conn, now, WINDOW) == 0
    cur = await conn.execute("SELECT type, count, opened_at FROM alerts")
    assert await cur.fetchall() == [("sos", 1, now)]
