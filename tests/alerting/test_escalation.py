"""The escalation engine on the real database, driven by an injected clock: steps in order
and at their times, ack stops them, ack timeout reopens with a reminder, nobody → skipped
and last resort, resolution notices, two escalators → each step once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from alerting import services
from alerting.escalator import Escalator
from alerting.models import AckRequest, AlertSignal, AlertType, Outcome, ResolveRequest
from alerting.webhook import WebhookChannel
from care.audit import Actor
from store.db import Conn
from store.pool import Pool
from tests.alerting.conftest import add_home
from tests.alerting.recording_channel import RecordingChannel
from tests.rig.clock import ManualClock as Clock
from tests.rig.webhook_receiver import WebhookReceiver

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
OPERATOR = Actor("operator", "duty-desk", None)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
async def escalator(
    pool: Pool, database_url: str, channel: RecordingChannel, clock: Clock
) -> Escalator:
    return Escalator(
        pool,
        database_url,
        [channel],
        instance="esc-a",
        ack_urls=lambda alert_id, key: f"http://ack.test/{alert_id}/{key}",
        clock=clock,
    )


async def home_with_people(conn: Conn, *, contacts: int = 3, on_call: bool = True) -> None:
    await add_home(conn, "KP-1", "pat-1")
    for i in range(contacts):
        await conn.execute(
            "INSERT INTO contacts (elder_id, name, phone, relation, priority, created_by)"
            " VALUES ('KP-1', %s, %s, 'child', %s, 'test')",
            (f"聯絡人{i + 1}", f"1380000000{i}", i + 1),
        )
    if on_call:
        await conn.execute(
            "INSERT INTO on_call_shifts (name, phone, towns, starts_at, ends_at)"
            " VALUES ('值班員', '13900000000', NULL, %s, %s)",
            (T0 - timedelta(hours=1), T0 + timedelta(days=2)),
        )
    await conn.execute(
        "UPDATE towns SET duty_name = '鎮值班', duty_phone = '0750-0000000' WHERE name = '赤坎鎮'"
    )


async def open_sos(conn: Conn, at: datetime = T0) -> int:
    done = await services.open_alert(conn, AlertSignal(AlertType.SOS, "KP-1", "pat-1"), at)
    return done.alert.id


async def turn_and_settle(esc: Escalator, channel: RecordingChannel, expect: int) -> None:
    await esc.turn()
    await channel.wait_for(expect)
    await wait_recorded(esc)


async def wait_recorded(esc: Escalator) -> None:
    deliverer = esc._deliverer
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while deliverer.in_flight:
        assert loop.time() < end, "deliveries still in flight"
        await asyncio.sleep(0.005)
    await deliverer.record()


async def test_steps_reach_on_call_then_contacts_then_town_at_their_times(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn)
    alert_id = await open_sos(conn)
    await turn_and_settle(escalator, channel, 1)
    assert channel.to() == [("alert", "on_call", channel.sent[0].recipient.key)]
    assert channel.sent[0].ack_url == f"http://ack.test/{alert_id}/{channel.sent[0].recipient.key}"
    clock.at(59)
    await escalator.turn()
    assert len(channel.sent) == 1  # not yet: the contacts step is due at 60 s
    clock.at(60)
    await turn_and_settle(escalator, channel, 2)
    assert channel.sent[1].recipient.name == "聯絡人1"
    clock.at(180)
    await turn_and_settle(escalator, channel, 4)
    # One step's recipients are sent to at once, each on its own: in no set order.
    assert sorted(n.recipient.name or "" for n in channel.sent[2:]) == ["聯絡人2", "聯絡人3"]
    clock.at(600)
    await turn_and_settle(escalator, channel, 5)
    assert channel.sent[4].recipient.role.value == "town"
    clock.at(900)  # repeat_after_s 300: the last step again
    await turn_and_settle(escalator, channel, 6)
    assert channel.sent[5].recipient.key == channel.sent[4].recipient.key
    assert [n.level for n in channel.sent] == [0, 1, 2, 2, 3, 3]
    view = await services.alert_view(conn, OPERATOR, alert_id)
    assert view.alert.escalation_level == 3
    notified = [e for e in view.timeline if e.kind == "notified"]
    assert len(notified) == 6
    assert {e.channel for e in notified} == {"recording"}
    assert all(e.result == "200" and e.duration_ms is not None for e in notified)


async def test_ack_stops_every_further_step_and_the_ack_timeout_reopens_with_a_reminder(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn)
    alert_id = await open_sos(conn)
    await turn_and_settle(escalator, channel, 1)
    clock.at(30)
    await services.acknowledge(conn, OPERATOR, alert_id, AckRequest(by="小李"), clock())
    for at in (60, 180, 600, 1200, 1829):
        clock.at(at)
        await escalator.turn()
    assert len(channel.sent) == 1
    clock.at(30 + 1800)  # ack_timeout_s of critical
    await turn_and_settle(escalator, channel, 2)
    assert channel.sent[1].purpose.value == "reminder"
    view = await services.alert_view(conn, OPERATOR, alert_id)
    assert view.alert.status == "open"
    assert [e.kind for e in view.timeline if e.kind in ("acked", "reopened")] == [
        "acked",
        "reopened",
    ]
    clock.at(30 + 1800 + 120)  # the escalation starts again after the reminder's lead
    await turn_and_settle(escalator, channel, 3)
    assert channel.to()[2][:2] == ("alert", "on_call")


async def test_a_step_with_nobody_is_skipped_and_a_critical_one_goes_to_every_channel(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn, contacts=0, on_call=False)
    await conn.execute("UPDATE towns SET duty_phone = NULL")
    alert_id = await open_sos(conn)
    await turn_and_settle(escalator, channel, 1)
    # nobody on duty → last resort, and the contacts step (nobody either) runs at once
    await turn_and_settle(escalator, channel, 2)
    assert [p for p, _, _ in channel.to()] == ["last_resort", "last_resort"]
    view = await services.alert_view(conn, OPERATOR, alert_id)
    assert [e.kind for e in view.timeline].count("step_skipped") >= 2


async def test_resolving_tells_everyone_who_was_notified(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn)
    alert_id = await open_sos(conn)
    await turn_and_settle(escalator, channel, 1)
    clock.at(60)
    await turn_and_settle(escalator, channel, 2)
    clock.at(90)
    request = ResolveRequest(by="小李", outcome=Outcome.FALSE_ALARM)
    await services.resolve(conn, OPERATOR, alert_id, request, clock())
    await turn_and_settle(escalator, channel, 4)
    resolution = [n for n in channel.sent if n.purpose.value == "resolution"]
    assert {n.recipient.key for n in resolution} == {n.recipient.key for n in channel.sent[:2]}
    assert all(n.ack_url is None and n.alert["status"] == "resolved" for n in resolution)
    clock.at(3600)
    await escalator.turn()
    assert len(channel.sent) == 4


async def test_a_failed_delivery_is_retried_with_backoff_and_recorded(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn)
    alert_id = await open_sos(conn)
    channel.fail_next = 2
    await escalator.turn()
    await wait_recorded(escalator)
    clock.at(1)
    await escalator.turn()
    await wait_recorded(escalator)
    clock.at(3)
    await turn_and_settle(escalator, channel, 1)
    view = await services.alert_view(conn, OPERATOR, alert_id)
    attempts = [(e.kind, e.result) for e in view.timeline if e.kind.startswith("notif")]
    assert attempts == [("notify_failed", "500"), ("notify_failed", "500"), ("notified", "200")]


async def test_two_escalators_on_one_database_send_each_step_once(
    pool: Pool, database_url: str, conn: Conn, clock: Clock
) -> None:
    await home_with_people(conn, contacts=0)
    for i in range(60):
        await add_home(conn, f"KP-{i + 10}", f"pat-{i + 10}")
        await services.open_alert(
            conn, AlertSignal(AlertType.SOS, f"KP-{i + 10}", f"pat-{i + 10}"), T0
        )
    channels = [RecordingChannel(), RecordingChannel()]
    escalators = [
        Escalator(
            pool, database_url, [c], instance=f"esc-{n}", ack_urls=lambda a, k: None, clock=clock
        )
        for n, c in enumerate(channels)
    ]
    await asyncio.gather(*(e.turn() for e in escalators))
    await asyncio.gather(*(e.turn() for e in escalators))
    for e in escalators:
        await wait_recorded(e)
    sent = [n.alert["id"] for c in channels for n in c.sent]
    assert len(sent) == 60
    assert len(set(sent)) == 60


async def test_a_notification_waiting_behind_a_hanging_receiver_is_dropped_once_acked(
    pool: Pool, database_url: str, conn: Conn, clock: Clock
) -> None:
    await home_with_people(conn, contacts=0)
    await add_home(conn, "KP-2", "pat-2")
    async with WebhookReceiver() as rx:
        rx.mode = "hang"
        webhook = WebhookChannel(rx.url, None, timeout_s=30)
        esc = Escalator(
            pool,
            database_url,
            [webhook],
            instance="esc-hang",
            ack_urls=lambda a, k: None,
            clock=clock,
            concurrency=1,
        )
        first = await open_sos(conn)
        await esc.turn()
        await poll_until(lambda: len(rx.requests) == 1, "the first POST hangs")
        second = (
            await services.open_alert(conn, AlertSignal(AlertType.SOS, "KP-2", "pat-2"), T0)
        ).alert.id
        await esc.turn()  # its notification waits for the one slot
        clock.at(1)
        await services.acknowledge(conn, OPERATOR, second, AckRequest(by="小李"), clock())
        rx.mode = "ok"
        rx.release()
        await wait_recorded(esc)
        await webhook.aclose()
    sent_for = [r.body["alert"]["id"] for r in rx.requests]
    assert sent_for == [str(first)]
    view = await services.alert_view(conn, OPERATOR, second)
    assert [e.kind for e in view.timeline if e.kind.startswith(("notif", "not_"))] == ["not_sent"]


async def poll_until(check: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while not check():
        assert loop.time() < end, f"not yet: {what}"
        await asyncio.sleep(0.005)


async def test_a_turn_never_waits_for_an_ack_in_progress_and_sends_nothing_after_it(
    pool: Pool, conn: Conn, escalator: Escalator, channel: RecordingChannel
) -> None:
    """An ack holds its alert until it commits, and then moves the escalation row. A turn
    that met it waiting would deadlock with it; a turn that ignored it could send a step
    the ack was stopping. The turn skips the alert, and after the ack there is no step."""
    await home_with_people(conn)
    await add_home(conn, "KP-2", "pat-2")
    acked = await open_sos(conn)
    other = (await services.open_alert(conn, AlertSignal(AlertType.SOS, "KP-2", "pat-2"), T0)).alert
    async with pool.connection() as c, c.transaction():
        # The ack's first statement: its alert locked; the escalation row not yet.
        await c.execute("SELECT 1 FROM alerts WHERE id = %s FOR UPDATE", (acked,))
        async with asyncio.timeout(5):
            await escalator.turn()
        await wait_recorded(escalator)
        assert [n.alert["id"] for n in channel.sent] == [str(other.id)]
        await services.acknowledge(c, OPERATOR, acked, AckRequest(by="小李"), T0)
    await escalator.turn()
    await wait_recorded(escalator)
    assert [n.alert["id"] for n in channel.sent] == [str(other.id)]


async def test_the_escalator_outlives_a_failing_turn_and_sends_once_the_fault_is_gone(
    pool: Pool, database_url: str, conn: Conn
) -> None:
    await home_with_people(conn, contacts=0)
    # One statement: the seeded shift may have ended before now − 1 h (starts < ends holds).
    await conn.execute(
        "UPDATE on_call_shifts"
        " SET starts_at = now() - interval '1 hour', ends_at = now() + interval '1 hour'"
    )
    channel = RecordingChannel()
    esc = Escalator(pool, database_url, [channel], instance="esc-run", ack_urls=lambda a, k: None)
    stop = asyncio.Event()
    await conn.execute("ALTER TABLE alert_escalations RENAME TO alert_escalations_away")
    running = asyncio.create_task(esc.run(stop))
    try:
        await poll_until(lambda: esc.turns >= 1, "a failing turn")
        await conn.execute("ALTER TABLE alert_escalations_away RENAME TO alert_escalations")
        await open_sos(conn, datetime.now(UTC))
        await channel.wait_for(1)
        assert not running.done()
    finally:
        stop.set()
        await running
    assert channel.closed


async def test_a_step_run_late_raises_escalation_late_which_clears_when_steps_are_on_time(
    conn: Conn, escalator: Escalator, channel: RecordingChannel, clock: Clock
) -> None:
    await home_with_people(conn)
    await open_sos(conn)
    clock.at(11)  # the first step was due at 0
    await turn_and_settle(escalator, channel, 1)
    late = await services.list_alerts(
        conn,
        OPERATOR,
        status=None,
        elder_id=None,
        alert_type=AlertType.ESCALATION_LATE,
        before_id=None,
        limit=5,
    )
    assert [(a.status, a.severity, a.elder_id) for a in late] == [("open", "high", None)]
    await turn_and_settle(escalator, channel, 2)  # escalation_late itself reaches the on-call
    clock.at(60)  # the contacts step, on time, but a minute after a late one
    await turn_and_settle(escalator, channel, 3)
    still = await services.alert_view(conn, OPERATOR, late[0].id)
    assert still.alert.status == "open"
    clock.at(180)
    await turn_and_settle(escalator, channel, 5)
    clock.at(600)  # on time, more than five minutes after the late step
    await turn_and_settle(escalator, channel, 7)  # the town, and the resolution notice
    cleared = await services.alert_view(conn, OPERATOR, late[0].id)
    assert cleared.alert.status == "resolved"
    assert cleared.alert.notes == "cleared: escalator on time"
