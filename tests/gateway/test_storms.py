"""Storms on the real database, the health sweep and the escalator on an injected clock:
200 devices of one town offline within a minute are one town incident, their alerts
opened but not escalated, while an SOS of the same minute pages at once; the incident
clears itself when most devices are back and those still offline then escalate on their
own; a storm seen over several sweeps pulls its first alerts under the incident."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerting import services
from alerting.escalator import Escalator
from alerting.models import AlertSignal, AlertType, Outcome, ResolveRequest
from alerting.storms import MAX_LISTED_DEVICES, StormRule
from care.audit import Actor
from gateway.health_loop import HealthLoop, IngestState
from store.pool import Pool
from tests.alerting.recording_channel import RecordingChannel
from tests.gateway.helpers import execute, fetch, scalar
from tests.rig.clock import ManualClock as Clock

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
CHIKAN = "赤坎鎮"
SHUIKOU = "水口鎮"
DEVICES_PER_HOME = 5
OPERATOR = Actor("operator", "duty-desk", None)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def sweep(pool: Pool, clock: Clock) -> HealthLoop:
    working = IngestState(working=True, connections=1)
    return HealthLoop(pool, "gw-storm", lambda: working, clock=clock, storm=StormRule(20, 60))


@pytest.fixture
async def escalator(
    pool: Pool, database_url: str, channel: RecordingChannel, clock: Clock
) -> Escalator:
    return Escalator(
        pool,
        database_url,
        [channel],
        instance="esc-storm",
        ack_urls=lambda alert_id, key: f"http://ack.test/{alert_id}/{key}",
        clock=clock,
    )


async def town_homes(url: str, town: str, homes: int, prefix: str) -> list[str]:
    """``homes`` elders of ``town``, five devices each, all heard just before T0."""
    devices = []
    for h in range(homes):
        elder_id = f"{prefix}-{h:03d}"
        await execute(
            url, "INSERT INTO elders (id, name, town) VALUES (%s, '王小明', %s)", (elder_id, town)
        )
        for d in range(DEVICES_PER_HOME):
            devices.append(f"{prefix}-dev-{h:03d}-{d}")
            await execute(
                url,
                "INSERT INTO devices (id, type, elder_id, room, online, last_seen)"
                " VALUES (%s, 'motion_sensor', %s, 'bedroom', true, %s)",
                (devices[-1], elder_id, T0 - timedelta(seconds=10)),
            )
    return devices


async def go_offline(url: str, devices: Sequence[str], at: datetime) -> None:
    """Their Last Wills: the broker said offline (what the gateway stores on status)."""
    await execute(
        url,
        "UPDATE devices SET online = false, status = 'offline', status_changed_at = %s"
        " WHERE id = ANY(%s)",
        (at, list(devices)),
    )


async def come_back(url: str, devices: Sequence[str], at: datetime) -> None:
    await execute(
        url,
        "UPDATE devices SET online = true, status = 'online', status_changed_at = %s,"
        " last_seen = %s WHERE id = ANY(%s)",
        (at, at, list(devices)),
    )


async def people(url: str) -> None:
    """An every-town on-call shift, and 赤坎鎮's duty contact."""
    await execute(
        url,
        "INSERT INTO on_call_shifts (name, phone, towns, starts_at, ends_at)"
        " VALUES ('值班員', '13900000000', NULL, %s, %s)",
        (T0 - timedelta(hours=1), T0 + timedelta(days=2)),
    )
    await execute(
        url,
        "UPDATE towns SET duty_name = '鎮值班', duty_phone = '0750-2600000' WHERE name = %s",
        (CHIKAN,),
    )


async def incidents(url: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT id, subject, severity, status, elder_id, device_id, summary FROM alerts"
        " WHERE type = 'device_offline' AND device_id IS NULL ORDER BY id",
    )


async def device_alerts(url: str) -> list[tuple[Any, ...]]:
    """(device, status, parent, has an escalation row) of every device's offline alert."""
    return await fetch(
        url,
        "SELECT a.device_id, a.status, a.parent_id, x.alert_id IS NOT NULL FROM alerts a"
        " LEFT JOIN alert_escalations x ON x.alert_id = a.id"
        " WHERE a.type = 'device_offline' AND a.device_id IS NOT NULL ORDER BY a.device_id",
    )


async def wait_recorded(esc: Escalator) -> None:
    deliverer = esc._deliverer
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while deliverer.in_flight:
        assert loop.time() < end, "deliveries still in flight"
        await asyncio.sleep(0.005)
    await deliverer.record()


async def test_a_200_device_outage_is_one_incident_while_an_sos_in_the_same_minute_pages_at_once(
    pool: Pool,
    database_url: str,
    sweep: HealthLoop,
    escalator: Escalator,
    channel: RecordingChannel,
    clock: Clock,
) -> None:
    await people(database_url)
    devices = await town_homes(database_url, CHIKAN, 40, "KP")
    await execute(
        database_url,
        "INSERT INTO devices (id, type, elder_id, room, online, last_seen)"
        " VALUES ('pat-sos', 'sos_button', 'KP-000', 'bedroom', true, %s)",
        (T0,),
    )
    await go_offline(database_url, devices, T0 + timedelta(seconds=1))
    clock.at(5)
    await sweep.once()
    clock.at(20)
    async with pool.connection() as conn, conn.transaction():
        sos = await services.open_alert(
            conn, AlertSignal(AlertType.SOS, "KP-000", "pat-sos"), clock()
        )
    await sweep.once()
    # The SOS's first step is due at the instant it opened: the next turn pages.
    due = await scalar(
        database_url, "SELECT due_at FROM alert_escalations WHERE alert_id = %s", (sos.alert.id,)
    )
    assert due == clock()
    [incident] = await incidents(database_url)
    incident_id = incident[0]
    assert incident[1:] == (
        f"town:{CHIKAN}",
        "high",
        "open",
        None,
        None,
        f"設備集中離線 — {CHIKAN} 200 台",
    )
    grouped = await device_alerts(database_url)
    assert len(grouped) == 200
    assert {(status, parent, escalating) for _, status, parent, escalating in grouped} == {
        ("open", incident_id, False)
    }
    opened = await fetch(
        database_url,
        "SELECT detail FROM alert_timeline WHERE alert_id = %s AND kind = 'opened'",
        (incident_id,),
    )
    assert opened[0][0]["devices"] == 200
    assert len(opened[0][0]["device_ids"]) == MAX_LISTED_DEVICES
    await escalator.turn()
    await channel.wait_for(2)
    await wait_recorded(escalator)
    paged = {(n.alert["id"], n.purpose.value, n.recipient.role.value) for n in channel.sent}
    assert paged == {
        (str(sos.alert.id), "alert", "on_call"),
        (str(incident_id), "alert", "on_call"),
    }
    notified = await scalar(
        database_url,
        "SELECT count(*) FROM notifications n JOIN alerts a ON a.id = n.alert_id"
        " WHERE a.device_id IS NOT NULL AND a.type = 'device_offline'",
    )
    assert notified == 0


async def test_the_incident_clears_when_most_devices_are_back_and_the_rest_then_escalate(
    database_url: str, sweep: HealthLoop, clock: Clock
) -> None:
    await people(database_url)
    devices = await town_homes(database_url, CHIKAN, 40, "KP")
    await go_offline(database_url, devices, T0)
    clock.at(5)
    await sweep.once()
    [incident] = await incidents(database_url)
    await come_back(database_url, devices[:170], clock.at(600))
    await sweep.once()
    assert [row[3] for row in await incidents(database_url)] == ["open"]  # 30 still offline
    await come_back(database_url, devices[170:185], clock.at(700))
    await sweep.once()
    [cleared] = await incidents(database_url)
    assert cleared[3] == "resolved"
    notes = await scalar(database_url, "SELECT notes FROM alerts WHERE id = %s", (incident[0],))
    assert notes == "cleared: devices back"
    rows = {row[0]: row[1:] for row in await device_alerts(database_url)}
    assert {rows[d] for d in devices[:185]} == {("resolved", incident[0], False)}
    # The 15 still offline are each a fault of their own now: released, escalating.
    assert {rows[d] for d in devices[185:]} == {("open", None, True)}
    released = await scalar(
        database_url, "SELECT count(*) FROM alert_timeline WHERE kind = 'released'"
    )
    assert released == 15


async def test_a_storm_seen_over_two_sweeps_pulls_its_first_alerts_under_the_incident(
    database_url: str, sweep: HealthLoop, clock: Clock
) -> None:
    await people(database_url)
    devices = await town_homes(database_url, CHIKAN, 5, "KP")
    await go_offline(database_url, devices[:10], T0)
    clock.at(5)
    await sweep.once()
    first = await device_alerts(database_url)
    assert {row[1:] for row in first} == {("open", None, True)}  # not a storm (yet)
    await go_offline(database_url, devices[10:], clock.at(30))
    await sweep.once()
    [incident] = await incidents(database_url)
    assert incident[6] == f"設備集中離線 — {CHIKAN} 25 台"
    assert {row[1:] for row in await device_alerts(database_url)} == {("open", incident[0], False)}
    # Each device's timeline says it went under the incident (the first ten after opening).
    grouped = await fetch(
        database_url,
        "SELECT a.device_id, t.detail ->> 'incident' FROM alert_timeline t"
        " JOIN alerts a ON a.id = t.alert_id WHERE t.kind = 'grouped' AND a.device_id IS NOT NULL",
    )
    assert sorted(device for device, _ in grouped) == sorted(devices)
    assert {int(parent) for _, parent in grouped} == {incident[0]}


async def test_fewer_devices_than_a_storm_and_another_towns_devices_escalate_one_by_one(
    database_url: str, sweep: HealthLoop, clock: Clock
) -> None:
    chikan = await town_homes(database_url, CHIKAN, 3, "KP")  # 15 devices: no storm
    shuikou = await town_homes(database_url, SHUIKOU, 1, "SK")
    await go_offline(database_url, chikan + shuikou, T0)
    clock.at(5)
    await sweep.once()
    assert await incidents(database_url) == []
    assert {row[1:] for row in await device_alerts(database_url)} == {("open", None, True)}


async def test_an_emergency_signal_asking_not_to_escalate_escalates_at_once(
    pool: Pool, database_url: str
) -> None:
    await execute(
        database_url, "INSERT INTO elders (id, name, town) VALUES ('KP-1', '王', %s)", (CHIKAN,)
    )
    for alert_type in (AlertType.SOS, AlertType.FALL, AlertType.SMOKE, AlertType.GAS):
        signal = AlertSignal(alert_type, "KP-1", escalate=False)
        async with pool.connection() as conn, conn.transaction():
            done = await services.open_alert(conn, signal, T0)
        due = await scalar(
            database_url,
            "SELECT due_at FROM alert_escalations WHERE alert_id = %s",
            (done.alert.id,),
        )
        assert due == T0, alert_type


async def test_an_incident_a_person_resolves_leaves_its_devices_escalating_on_their_own(
    pool: Pool, database_url: str, sweep: HealthLoop, clock: Clock
) -> None:
    devices = await town_homes(database_url, CHIKAN, 4, "KP")
    await go_offline(database_url, devices, T0)
    clock.at(5)
    await sweep.once()
    [incident] = await incidents(database_url)
    request = ResolveRequest(by="小李", outcome=Outcome.OTHER, notes="供電局搶修中")
    async with pool.connection() as conn, conn.transaction():
        await services.resolve(conn, OPERATOR, incident[0], request, clock.at(60))
    clock.at(65)
    await sweep.once()
    assert {row[1:] for row in await device_alerts(database_url)} == {("open", None, True)}
    assert await incidents(database_url) == [(*incident[:3], "resolved", *incident[4:])]
