"""The detectors in the running gateway, on the real database: one leader elected among
several, fed from the committed events whichever gateway stored them, sweeping on a clock
(injected here: minutes pass in a test's milliseconds), its findings alerts through
``alerting`` — and a declared absence, an elder gone out, and the leader's own start raise
nothing; an unanswered check-in prompt raises ``missed_checkin``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
import pytest

from alerting.models import AlertSignal, AlertType
from alerting.services import open_alert
from care.prompts import PROMPT_UNTIL
from gateway import detect_repo
from gateway.detect_repo import EXCUSED_DAYS
from gateway.detection import DetectConfig, Detection
from gateway.health_loop import HealthLoop, IngestState
from store.pool import Pool, open_pool
from tests.gateway.helpers import execute, fetch, poll

T = TypeVar("T")
OFFSET = 8 * 3600.0
ZONE = "Asia/Shanghai"
THRESHOLD_MIN = 30
MIN = 60.0


@pytest.fixture
async def services_pool(database_url: str) -> AsyncIterator[tuple[Pool, Pool]]:
    """Two gateways' detection pools on one database."""
    async with open_pool(database_url, max_size=2) as a, open_pool(database_url, max_size=2) as b:
        yield a, b


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


async def home(url: str, elder: str, *, devices: tuple[str, ...] = ("pir", "door")) -> None:
    """An elder living alone with a fixed threshold, a living-room motion sensor and an
    entrance door contact, heard from a minute ago (heartbeats every day: online for the
    whole test)."""
    kinds = {
        "pir": ("motion_sensor", "living_room"),
        "door": ("door_sensor", "entrance"),
        "pat": ("sos_button", "bedroom"),
        "band": ("wearable", "bedroom"),
        "plug": ("power_meter", "living_room"),
    }
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO elders (id, name, living_arrangement, inactivity_alert_after_minutes)"
            " VALUES (%s, 'test elder', 'alone', %s)",
            (elder, THRESHOLD_MIN),
        )
        for d in devices:
            device_type, room = kinds[d]
            await conn.execute(
                "INSERT INTO devices (id, type, elder_id, room, heartbeat_interval_s, online,"
                " last_seen) VALUES (%s, %s, %s, %s, 86400, true, now() - interval '1 minute')",
                (f"{d}-{elder}", device_type, elder, room),
            )


async def store(
    url: str, device: str, elder: str, kind: str, value: float | None, t: float
) -> None:
    """An event as a gateway commits it, received when it happened."""
    await execute(
        url,
        "INSERT INTO events (device_id, ts, kind, value, elder_id, received_at)"
        " VALUES (%s, to_timestamp(%s), %s, %s, %s, to_timestamp(%s))",
        (device, t, kind, value, elder, t),
    )


async def alerts(url: str, alert_type: str = "inactivity") -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT elder_id, status, count, summary, notes, severity FROM alerts"
        " WHERE type = %s ORDER BY id",
        (alert_type,),
    )


async def declare(url: str, elder: str, start: float, end: float, reason: str = "test") -> None:
    """A declared absence, as the API writes it (epoch s)."""
    await execute(
        url,
        "INSERT INTO elder_absences (elder_id, starts_at, ends_at, reason)"
        " VALUES (%s, to_timestamp(%s), to_timestamp(%s), %s)",
        (elder, start, end, reason),
    )


async def quiet_home(url: str) -> float:
    """KP-1, last heard a minute before now; answers now (the leader's clock starts there)."""
    t0 = time.time()
    await home(url, "KP-1")
    await store(url, "pir-KP-1", "KP-1", "motion", 1, t0 - MIN)
    return t0


def detection(pool: Pool, url: str, clock: Clock) -> Detection:
    config = DetectConfig(
        zone=ZONE, offset_s=OFFSET, interval_s=0.02, fleet_reload_s=0.1, missed_round_s=0.02
    )
    return Detection(pool, url, config, clock=clock, leader_poll_s=0.05)


@asynccontextmanager
async def running(det: Detection) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(det.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=10)
        if not task.cancelled():  # a test may kill its leader: a cancel is no failure
            task.result()


async def turns(det: Detection, n: int = 3) -> None:
    """Wait until the leader has taken ``n`` more turns (each a full sweep)."""
    start = det.turns
    await poll(lambda: _now(det.turns), lambda t: t >= start + n, what=f"{n} turns")


async def _now(value: T) -> T:
    return value


@asynccontextmanager
async def leader_at(pool: Pool, url: str, t0: float) -> AsyncIterator[tuple[Detection, Clock]]:
    """A detection on a clock at ``t0``, running and leading."""
    clock = Clock(t0)
    det = detection(pool, url, clock)
    async with running(det):
        await leading(det)
        yield det, clock


async def resolve(url: str, alert_type: str, outcome: str) -> None:
    """A person resolves the active alerts of ``alert_type``, as the console would."""
    await execute(
        url,
        "UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = 'op',"
        " outcome = %s WHERE type = %s AND status <> 'resolved'",
        (outcome, alert_type),
    )


async def leading(*dets: Detection) -> Detection:
    """The one of ``dets`` that leads, once one does."""
    found = await poll(
        lambda: _now(sum(d.leading for d in dets)), lambda k: k == 1, what="one leader"
    )
    assert found == 1
    return next(d for d in dets if d.leading)


async def test_a_quiet_home_raises_inactivity_once_with_its_sentence_and_activity_clears_it(
    database_url: str, pool: Pool
) -> None:
    t0 = await quiet_home(database_url)
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        clock.t = t0 + 20 * MIN
        await turns(det)
        assert await alerts(database_url) == []
        clock.t = t0 + 31 * MIN  # silence counted from the leader's start, not before it
        found = await poll(lambda: alerts(database_url), bool, what="an inactivity alert")
        await turns(det)
        [(elder, status, count, summary, _, severity)] = await alerts(database_url)
        assert (elder, status, count, severity) == ("KP-1", "open", 1, "high")
        assert "無活動" in summary
        assert "no activity for 31 min" in summary
        assert found[0][3] == summary
        await store(database_url, "pir-KP-1", "KP-1", "motion", 1, clock.t + 30)
        clock.t += MIN
        done = await poll(
            lambda: alerts(database_url), lambda a: a[0][1] == "resolved", what="cleared"
        )
        assert done[0][4] == "cleared: condition over"


async def test_a_low_heart_rate_raises_abnormal_vitals_and_leaves_device_healths_alerts_alone(
    database_url: str, pool: Pool
) -> None:
    t0 = time.time()
    await home(database_url, "KP-7", devices=("pir", "door", "band"))
    await store(database_url, "pir-KP-7", "KP-7", "motion", 1, t0 - MIN)
    # The device-health loop's alert about the door sensor (keyed by the device): the
    # detectors' own device_offline findings (a stuck sensor) must not hold or clear it.
    async with pool.connection() as conn, conn.transaction():
        signal = AlertSignal(AlertType.DEVICE_OFFLINE, "KP-7", "door-KP-7", actor="health")
        await open_alert(conn, signal, datetime.fromtimestamp(t0, UTC))
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        for minutes in (1, 6, 11, 13):
            clock.t = t0 + minutes * MIN
            await store(database_url, "band-KP-7", "KP-7", "heart_rate", 35, clock.t)
            await store(database_url, "pir-KP-7", "KP-7", "motion", 1, clock.t)
            await turns(det)
        [(elder, status, _, summary, _, severity)] = await poll(
            lambda: alerts(database_url, "abnormal_vitals"), bool, what="a vitals alert"
        )
        assert (elder, status, severity) == ("KP-7", "open", "high")
        assert "heart rate 35 bpm, below 40" in summary
        assert "心率 35" in summary
        assert [row[1] for row in await alerts(database_url, "device_offline")] == ["open"]


@asynccontextmanager
async def stuck_sensor(url: str, pool: Pool) -> AsyncIterator[tuple[Detection, Clock]]:
    """A leader, then KP-9's PIR firing every minute for 95 min; the clock 10 s after its
    last firing. The firings come after the leader's start: a leader replays the hours
    before it from the hourly rollup, which holds no run of firings (a stuck sensor is
    found again within ``STUCK_AFTER_S`` of a new leader's start)."""
    await home(url, "KP-9")
    async with leader_at(pool, url, time.time()) as (det, clock):
        t0 = clock.t
        for m in range(96):
            await store(url, "pir-KP-9", "KP-9", "motion", 1, t0 + m * MIN)
        clock.t = t0 + 95 * MIN + 10
        yield det, clock


async def test_a_stuck_sensors_alert_a_person_resolved_is_not_raised_again_while_it_fires(
    database_url: str, pool: Pool
) -> None:
    async with stuck_sensor(database_url, pool) as (det, clock):
        await poll(lambda: alerts(database_url, "device_offline"), bool, what="a stuck alert")
        await resolve(database_url, "device_offline", "device_fault")
        clock.t += 30  # still firing, within the pause of 150 s
        await turns(det, 5)
        assert [r[1] for r in await alerts(database_url, "device_offline")] == ["resolved"]


async def test_a_stuck_motion_sensor_raises_device_offline_naming_it_until_it_pauses(
    database_url: str, pool: Pool
) -> None:
    """The detectors' finding about one device, live: opened by the leader, left alone by
    the device-health loop (the sensor is heard all the time — "back" must not clear it),
    ended by the leader when the sensor pauses."""
    query = "SELECT device_id, status, severity, summary, notes FROM alerts"
    async with stuck_sensor(database_url, pool) as (det, clock):
        [(device, status, severity, summary, _)] = await poll(
            lambda: fetch(database_url, query), bool, what="a stuck sensor's alert"
        )
        assert (device, status, severity) == ("pir-KP-9", "open", "low")
        assert "stuck" in summary
        assert "疑似故障" in summary
        await turns(det)
        assert len(await fetch(database_url, query)) == 1  # one alert, not one a turn
        wall = datetime.fromtimestamp(clock.t, UTC)
        health = HealthLoop(
            pool, "gw-test", lambda: IngestState(working=True, connections=1), clock=lambda: wall
        )
        await health.once()
        assert [r[1] for r in await fetch(database_url, query)] == ["open"]
        clock.t += 5 * MIN  # the sensor has paused
        [done] = await poll(
            lambda: fetch(database_url, query), lambda a: a[0][1] == "resolved", what="ended"
        )
        assert done[4] == "cleared: condition over"


async def test_an_elder_who_went_out_through_the_entrance_door_raises_no_inactivity(
    database_url: str, pool: Pool
) -> None:
    t0 = time.time()
    await home(database_url, "KP-1")
    await store(database_url, "pir-KP-1", "KP-1", "motion", 1, t0 - 3 * MIN)
    await store(database_url, "door-KP-1", "KP-1", "door", 1, t0 - 2 * MIN)
    await store(database_url, "door-KP-1", "KP-1", "door", 0, t0 - 2 * MIN + 5)
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        clock.t = t0 + 3 * 3600
        await turns(det, 5)
        assert await alerts(database_url) == []


async def test_a_new_leader_knows_the_sos_of_hours_ago_so_help_at_the_door_is_no_wandering(
    database_url: str, pool: Pool
) -> None:
    # At 22:00 KP-1 pressed SOS; at 01:30 the door opened — help coming in, not heard inside
    # — and nothing since (the last life: 01:20, awake). KP-2: the same night without the
    # call. A leader elected at 02:00 reads events from 01:00 on; the SOS is older, and the
    # rollup holds no presses.
    wall = time.time()
    t0 = (wall + OFFSET) // 86400 * 86400 - OFFSET + 2 * 3600  # 02:00 local
    if t0 > wall - 3600:
        t0 -= 86400
    for elder in ("KP-1", "KP-2"):
        await home(database_url, elder, devices=("pir", "door", "pat"))
        await store(database_url, f"pir-{elder}", elder, "motion", 1, t0 - 40 * MIN)
        await store(database_url, f"door-{elder}", elder, "door", 1, t0 - 30 * MIN)
        await store(database_url, f"door-{elder}", elder, "door", 0, t0 - 30 * MIN + 8)
    await store(database_url, "pat-KP-1", "KP-1", "sos", None, t0 - 4 * 3600)
    async with leader_at(pool, database_url, t0) as (det, _):
        await turns(det, 5)
        raised = await alerts(database_url, "night_wandering")
    assert [(elder, status) for elder, status, *_ in raised] == [("KP-2", "open")]


async def test_a_declared_absence_suppresses_inactivity_and_its_end_lets_it_through(
    database_url: str, pool: Pool
) -> None:
    t0 = await quiet_home(database_url)
    await declare(database_url, "KP-1", t0 - 3600, t0 + 3600, "hospital")
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        clock.t = t0 + 50 * MIN
        await turns(det, 5)
        assert await alerts(database_url) == []
        clock.t = t0 + 61 * MIN  # the absence is over; the home is still quiet
        await poll(lambda: alerts(database_url), bool, what="inactivity after the absence")


async def test_an_absence_declared_while_an_inactivity_alert_is_open_ends_it(
    database_url: str, pool: Pool
) -> None:
    # The on-call phones the family: she is at her daughter's. Declared, the pages stop.
    t0 = await quiet_home(database_url)
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        clock.t = t0 + 31 * MIN
        await poll(lambda: alerts(database_url), bool, what="an inactivity alert")
        await declare(database_url, "KP-1", clock.t, t0 + 24 * 3600, "with family")
        clock.t += 10
        done = await poll(
            lambda: alerts(database_url), lambda a: a[0][1] == "resolved", what="cleared"
        )
        assert [(a[0], a[4]) for a in done] == [("KP-1", "cleared: condition over")]
        clock.t += 2 * 3600  # still silent, still away: nothing raised again
        await turns(det, 3)
        assert [a[1] for a in await alerts(database_url)] == ["resolved"]


async def test_two_gateways_elect_one_leader_that_sees_every_home_and_a_survivor_takes_over(
    database_url: str, services_pool: tuple[Pool, Pool]
) -> None:
    t0 = time.time()
    await home(database_url, "KP-1")
    await home(database_url, "KP-2")
    await store(database_url, "pir-KP-1", "KP-1", "motion", 1, t0 - MIN)
    await store(database_url, "pir-KP-2", "KP-2", "motion", 1, t0 - MIN)
    # A gateway has been ingesting for a day: a new leader's state is right at once.
    await execute(
        database_url,
        "INSERT INTO gateway_heartbeats (client_id, first_seen_at, started_at, seen_at,"
        " ingesting, ingesting_at) VALUES ('gw-a', to_timestamp(%s), to_timestamp(%s),"
        " to_timestamp(%s), true, to_timestamp(%s))",
        (t0 - 86400, t0 - 86400, t0 + 86400, t0 + 86400),
    )
    clock = Clock(t0)
    a, b = (detection(pool, database_url, clock) for pool in services_pool)
    async with running(a) as task_a, running(b) as task_b:
        leader = await leading(a, b)
        # KP-1's activity reached whichever gateway (stored, committed): the leader sees it.
        await store(database_url, "pir-KP-1", "KP-1", "motion", 1, t0 + 20 * MIN)
        clock.t = t0 + 35 * MIN
        await poll(lambda: alerts(database_url), bool, what="KP-2's inactivity")
        await turns(leader)
        assert [r[0] for r in await alerts(database_url)] == ["KP-2"]
        (leader_task, other) = (task_a, b) if leader is a else (task_b, a)
        leader_task.cancel()  # the leader dies: its lock's connection closes
        await asyncio.gather(leader_task, return_exceptions=True)
        assert await leading(other) is other
        clock.t = t0 + 55 * MIN
        found = await poll(
            lambda: alerts(database_url), lambda a: len(a) == 2, what="KP-1 by the new leader"
        )
        await turns(other)
        assert [(r[0], r[1], r[2]) for r in await alerts(database_url)] == [
            ("KP-2", "open", 1),
            ("KP-1", "open", 1),
        ]
        assert found[1][0] == "KP-1"


async def test_a_prompt_unanswered_by_its_window_raises_missed_checkin_and_a_press_clears_it(
    database_url: str, pool: Pool
) -> None:
    await home(database_url, "KP-1", devices=("pir", "pat"))
    day = datetime.now(UTC).date() - timedelta(days=1)
    local = datetime.combine(day, PROMPT_UNTIL).replace(tzinfo=UTC) - timedelta(seconds=OFFSET)
    sent = local - timedelta(hours=9)  # 11:00 local
    await execute(
        database_url,
        "INSERT INTO checkin_prompts (device_id, day, elder_id, prompt_id, sent_at)"
        " VALUES ('pat-KP-1', %s, 'KP-1', 'checkin-x', %s)",
        (day, sent),
    )
    await store(database_url, "pir-KP-1", "KP-1", "motion", 1, sent.timestamp() - 3600)
    clock = Clock(local.timestamp() - 10 * MIN)  # the window is still open
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        await turns(det, 5)
        assert await alerts(database_url, "missed_checkin") == []
        clock.t = local.timestamp() + 5 * MIN
        [(elder, status, _, summary, _, severity)] = await poll(
            lambda: alerts(database_url, "missed_checkin"), bool, what="missed_checkin"
        )
        assert (elder, status, severity) == ("KP-1", "open", "low")
        assert "報平安" in summary
        assert "unanswered" in summary
        await turns(det, 5)
        assert len(await alerts(database_url, "missed_checkin")) == 1
        await store(database_url, "pat-KP-1", "KP-1", "checkin", None, clock.t)
        clock.t += MIN
        await poll(
            lambda: alerts(database_url, "missed_checkin"),
            lambda a: a[0][1] == "resolved",
            what="cleared by the press",
        )


async def test_an_appliance_switched_on_after_the_prompt_is_someone_at_home(
    database_url: str, pool: Pool
) -> None:
    """KP-2's kettle, switched on after the prompt, says someone is at home: no miss, and
    it ends one. KP-1's TV, on since before the prompt and reporting every 15 min, says
    nothing of anyone: a miss (the detectors count life the same way, and `tanfang evaluate`
    raised a false `missed_checkin` for a home using its kettle and TV all afternoon when the
    rule counted no power at all)."""
    day = datetime.now(UTC).date() - timedelta(days=1)
    local = datetime.combine(day, PROMPT_UNTIL).replace(tzinfo=UTC) - timedelta(seconds=OFFSET)
    sent = local - timedelta(hours=9)  # 11:00 local
    for elder in ("KP-1", "KP-2"):
        await home(database_url, elder, devices=("pat", "plug"))
        await execute(
            database_url,
            "INSERT INTO checkin_prompts (device_id, day, elder_id, prompt_id, sent_at)"
            " VALUES (%s, %s, %s, 'checkin-x', %s)",
            (f"pat-{elder}", day, elder, sent),
        )
    t0 = sent.timestamp()
    for k in range(40):  # 10 h of the TV on, from an hour before the prompt
        await store(database_url, "plug-KP-1", "KP-1", "power", 120.0, t0 - 3600 + k * 900)
    await store(database_url, "plug-KP-2", "KP-2", "power", 0.0, t0 - 3600)
    await store(database_url, "plug-KP-2", "KP-2", "power", 1850.0, t0 + 3 * 3600)
    await store(database_url, "plug-KP-2", "KP-2", "power", 0.0, t0 + 3 * 3600 + 180)
    async with pool.connection() as conn:
        after = local + timedelta(minutes=5)
        missed = await detect_repo.missed_prompts(conn, after, PROMPT_UNTIL, ZONE, "12 hours")
        assert [m.elder_id for m in missed] == ["KP-1"]
        assert await detect_repo.checked_in_since(conn, ["KP-1", "KP-2"], sent) == {"KP-2"}


async def timeline(url: str) -> list[str]:
    rows = await fetch(
        url,
        "SELECT t.kind FROM alert_timeline t JOIN alerts a ON a.id = t.alert_id"
        " WHERE a.type = 'inactivity' ORDER BY t.at, t.id",
    )
    return [r[0] for r in rows]


@asynccontextmanager
async def quiet_alert(url: str, pool: Pool) -> AsyncIterator[tuple[Detection, Clock]]:
    """A leader running over KP-1's home, quiet past its threshold: its alert is open."""
    await home(url, "KP-1")
    async with leader_at(pool, url, time.time()) as (det, clock):
        clock.t += 31 * MIN
        await poll(lambda: alerts(url), bool, what="an inactivity alert")
        yield det, clock


async def test_an_acked_alert_whose_condition_ends_stays_acked_with_a_note(
    database_url: str, pool: Pool
) -> None:
    async with quiet_alert(database_url, pool) as (det, clock):
        await execute(
            database_url,
            "UPDATE alerts SET status = 'acked', acked_at = now(), acked_by = 'on-call'"
            " WHERE type = 'inactivity'",
        )
        await turns(det)
        await store(database_url, "pir-KP-1", "KP-1", "motion", 1, clock.t + 30)
        clock.t += MIN
        await poll(lambda: timeline(database_url), lambda k: "condition_over" in k, what="the note")
        await turns(det)
        [(_, status, count, *_)] = await alerts(database_url)
        assert (status, count) == ("acked", 1)
        assert (await timeline(database_url)).count("condition_over") == 1


async def test_an_alert_a_person_resolved_is_not_raised_again_while_the_silence_lasts(
    database_url: str, pool: Pool
) -> None:
    async with quiet_alert(database_url, pool) as (det, clock):
        await resolve(database_url, "inactivity", "false_alarm")
        clock.t += 10 * MIN
        await turns(det, 5)
        assert [r[1] for r in await alerts(database_url)] == ["resolved"]


async def test_an_elder_added_while_leading_is_watched_from_then_and_the_others_keep_their_state(
    database_url: str, pool: Pool
) -> None:
    t0 = time.time()
    await home(database_url, "KP-1")
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        await store(database_url, "pir-KP-1", "KP-1", "motion", 1, t0 + 5 * MIN)
        clock.t = t0 + 6 * MIN
        await turns(det)
        await home(database_url, "KP-2")
        clock.t += 1  # the fleet is looked at again on the clock
        watch = await poll(
            lambda: _now(det.watch),
            lambda w: w is not None and "KP-2" in w.fleet.homes.elder_ids,
            what="the fleet reloaded",
        )
        assert watch is not None
        kp1 = watch.fleet.homes.elder_ids.index("KP-1")
        assert watch.state.life[kp1] == pytest.approx(t0 + 5 * MIN, abs=1e-3)  # it followed
        clock.t = t0 + 6 * MIN + 25 * MIN  # KP-2 quiet 25 min since added
        await turns(det)
        assert await alerts(database_url) == []  # KP-2 watched from when it was added
        await store(database_url, "pir-KP-1", "KP-1", "motion", 1, t0 + 30 * MIN)
        clock.t = t0 + 6 * MIN + 31 * MIN
        found = await poll(lambda: alerts(database_url), bool, what="KP-2's inactivity")
        await turns(det)
        assert [r[0] for r in found] == ["KP-2"]
        assert [r[0] for r in await alerts(database_url)] == ["KP-2"]


async def test_a_leader_whose_lock_connection_is_cut_leads_again_from_the_database(
    database_url: str, pool: Pool
) -> None:
    """What a database restart does to the lock: its session ends, the lock with it."""
    t0 = time.time()
    await home(database_url, "KP-1")
    clock = Clock(t0)
    det = detection(pool, database_url, clock)
    async with running(det):
        await leading(det)
        clock.t = t0 + 31 * MIN
        await poll(lambda: alerts(database_url), bool, what="an inactivity alert")
        await execute(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND objsubid = 2 AND classid = (%s::bigint & 4294967295)::oid",
            (det.leadership.key,),
        )
        await poll(lambda: _now(det.elections), lambda n: n == 2, what="elected again")
        await leading(det)
        await turns(det)
        # The new leadership found the open alert in the database: still one, counted once.
        assert [(r[0], r[1], r[2]) for r in await alerts(database_url)] == [("KP-1", "open", 1)]


async def test_each_turn_reads_which_elders_are_away_and_when_they_last_were_as_the_table_says(
    database_url: str, pool: Pool
) -> None:
    # A withdrawn absence excuses nothing any more, a back-dated one does at once; an
    # absence over for longer than EXCUSED_DAYS, or not begun, is not read.
    for elder in ("KP-1", "KP-2", "KP-3", "KP-4", "KP-5"):
        await home(database_url, elder)
    now = datetime.now(UTC)
    day = timedelta(days=1)
    rows = [
        ("KP-1", now - day, now + day),  # in force
        ("KP-2", now - 3 * day, now - 2 * day),  # ended two days ago
        ("KP-2", now - 9 * day, now - 8 * day),  # the later one counts
        ("KP-3", now - (EXCUSED_DAYS + 2) * day, now - (EXCUSED_DAYS + 1) * day),
        ("KP-4", now + day, now + 2 * day),  # not begun
        ("KP-5", now - day, now + day),  # withdrawn below
    ]
    for elder, start, end in rows:
        await declare(database_url, elder, start.timestamp(), end.timestamp())
    await execute(database_url, "DELETE FROM elder_absences WHERE elder_id = 'KP-5'")
    async with pool.connection() as conn:
        declared = await detect_repo.absences_now(conn, now)
    assert declared == {
        "KP-1": (True, now.timestamp()),
        "KP-2": (False, (now - 2 * day).timestamp()),
    }
