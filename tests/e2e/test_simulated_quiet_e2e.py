"""End to end at speed 600: simulated homes (``simulators.live``) publish through the real
broker to a real ``tanfang serve`` whose detection reads the same simulated clock
(``TANFANG_DETECT_CLOCK``); an elder who falls at home and lies still raises an
``inactivity`` alert that reaches the webhook; an elder whose entrance door opened before
the silence (went out in the afternoon, not back for the night) raises none while the day
is young, and — ``not_back`` turned on — a "not back" ``inactivity`` once the evening is
past the cold-start latest return (23:00).

Simulated time runs behind the wall clock (it starts a day in the past): ingest judges
device clocks on the wall clock, and an event stamped in the future would be stored at
its receipt. Where each elder is at a given moment comes from a dry run of the same
generator (same world, day and forced incidents: the same rows), so the fall is forced
while the elder is up at home and the outing while the elder is at home to leave it."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from gateway.detectors.back import COLD_BACK_S
from gateway.detectors.night import VISIT_S
from simulators.clock import DAY, TZ, day_start
from simulators.generator import Generator
from simulators.incidents import ROOMS_AWAKE, Forced
from simulators.live import RunStats, run_live
from simulators.register import register_world
from simulators.track import HOUR, MIN, room_at
from simulators.world import KIT_MOTION, Home, World, build_world
from tests.e2e.alerting_rig import AlertRig, on_call
from tests.e2e.test_inactivity_e2e import of_elder
from tests.gateway.helpers import Publisher
from tests.rig.services import Services
from tests.rig.webhook_receiver import WebhookReceiver

SPEED = 600.0
HOMES = 12
SEED = 3
# Wall seconds from the rig's start to the simulated start (the process, the homes'
# registration and the on-call shift are ready well before).
SETUP_S = 25.0
# Simulated hours the whole run may take: from 08:00 to the fall's alert (at most 7 h to
# the fall, then the cold-start limit of 3 h) and to 23:00 (not back) with room to spare;
# 2 wall minutes at 600×.
RUN_H = 20.0


def morning_in_the_past(now: float) -> float:
    """A local 08:00 at least ``RUN_H`` (and the setup) before ``now``: the simulation
    never gets ahead of the wall clock."""
    latest = now - (RUN_H + 1.0) * HOUR - SETUP_S * SPEED
    local = datetime.fromtimestamp(latest, TZ)
    morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
    if morning > local:
        morning -= timedelta(days=1)
    return morning.timestamp()


def first_day(world: World, start: float, forced: list[Forced]) -> Generator:
    return Generator(world, start, start + DAY, incident_rate=0.0, forced=forced, keep_plans=True)


def up_at_home(world: World, start: float, home: Home, times: list[float]) -> list[float]:
    """Those of ``times`` when the elder is awake in a room of the home."""
    chunk = first_day(world, start, []).day(day_start(start))
    me = chunk.plans[home.index].me
    return [t for t in times if room_at(me, t) in ROOMS_AWAKE]


def truth_of(
    world: World, start: float, forced: list[Forced], home: Home
) -> list[dict[str, object]]:
    chunk = first_day(world, start, forced).day(day_start(start))
    return [r for r in chunk.truth if r["elder_id"] == home.elder_id and r["type"] == "inactivity"]


def on_sim_clock(alert: dict[str, str], start: float, wall_origin: float) -> float:
    """When ``alert`` opened, on the simulated clock (alerts open on the wall clock)."""
    return start + (datetime.fromisoformat(alert["opened_at"]).timestamp() - wall_origin) * SPEED


def alone_after(world: World, start: float, forced: list[Forced], home: Home, t: float) -> bool:
    """Nobody else is in ``home`` from ``VISIT_S`` before ``t`` to the end of the day (a
    carer's visit to a home the elder has left is someone home, and leaving soon after a
    visit is leaving with the visitor)."""
    chunk = first_day(world, start, forced).day(day_start(start))
    others = chunk.plans[home.index].others
    return not any(o.where and o.where[-1][1] > t - VISIT_S for o in others)


def plan(world: World, start: float) -> tuple[Home, Home, list[Forced], float]:
    """Two elders living alone with a motion sensor: ``gone`` (frail: the cold start's "not
    back" watches only them) leaves between 08:30 and 15:30, over 2 h after any carer's
    visit, and is not back for the night; ``fallen`` falls at home 3–5 h later (by 18:30:
    its alert comes before 23:00) and lies there at least 4 h. Returns them, the forced
    incidents and the fall's time."""
    alone = [
        h
        for h in world.homes
        if h.occupants == 1 and h.kit == KIT_MOTION and h.persona.key != "bed_bound"
    ]
    for gone in (h for h in alone if h.elder.get("incapacitated") or h.elder.get("dementia")):
        steps = [start + 30 * MIN + k * 10 * MIN for k in range(43)]
        for leaves in up_at_home(world, start, gone, steps):
            outing = [Forced(gone.index, "not_returning", leaves)]
            if not truth_of(world, start, outing, gone) or not alone_after(
                world, start, outing, gone, leaves
            ):
                continue
            falls = [leaves + 3 * HOUR + k * 10 * MIN for k in range(13)]
            falls = [t for t in falls if t <= start + 10.5 * HOUR]
            for fallen in (h for h in alone if h is not gone):
                for at in up_at_home(world, start, fallen, falls):
                    forced = [*outing, Forced(fallen.index, "fall", at)]
                    lying = truth_of(world, start, forced, fallen)
                    ends = [datetime.fromisoformat(str(r["end"])).timestamp() for r in lying]
                    if ends and ends[0] - at >= 4 * HOUR:
                        return gone, fallen, forced, at
    raise AssertionError("no two elders of the world go out and fall on the first day")


async def test_a_simulated_fall_at_speed_600_reaches_the_webhook_and_an_outing_does_not(
    services: Services, migrated_template: str, tmp_path: Path
) -> None:
    wall_origin = time.time() + SETUP_S
    start = morning_in_the_past(time.time())
    world = build_world(HOMES, SEED, datetime.fromtimestamp(start, UTC))
    gone, fallen, forced, fell_at = plan(world, start)

    url = services.create_database(template=migrated_template)
    root = f"test/{uuid.uuid4().hex[:12]}/v1"
    publisher = Publisher(services.mqtt_url)
    publisher.connect()
    stop = threading.Event()
    async with WebhookReceiver() as rx:
        rig = AlertRig(
            url, services.mqtt_url, root, secrets.token_urlsafe(24), tmp_path, rx, publisher
        )
        clock = f"{datetime.fromtimestamp(start, TZ).isoformat()},{wall_origin},{SPEED:g}"
        homes: asyncio.Future[RunStats] | None = None
        try:
            await rig.serve(
                {
                    "TANFANG_DETECT_INTERVAL_S": "0.5",
                    "TANFANG_DETECT_CLOCK": clock,
                    "TANFANG_DETECT_OFF": "activity_drop",  # not_back on: off by default
                }
            )
            await asyncio.to_thread(register_world, world, rig.base, rig.admin_token)
            headers = {"Authorization": f"Bearer {rig.admin_token}"}
            async with httpx.AsyncClient(base_url=rig.base, headers=headers, timeout=10) as api:
                await on_call(api, None)  # someone on call for every town: the alert goes to them
            homes = asyncio.ensure_future(
                asyncio.to_thread(
                    run_live,
                    world,
                    mqtt_url=services.mqtt_url,
                    topic_root=root,
                    speed=SPEED,
                    stop=stop,
                    duration_s=RUN_H * HOUR / SPEED,
                    start=datetime.fromtimestamp(start, UTC),
                    incident_rate=0.0,
                    forced=forced,
                    wall_origin=wall_origin,
                )
            )
            deadline = wall_origin - time.time() + RUN_H * HOUR / SPEED
            post, *_ = await rig.posts(
                1, of_elder(fallen.elder_id, "inactivity"), deadline_s=deadline
            )
            alert = post.body["alert"]
            # The alert opens at the wall-clock time it was raised; on the simulated clock
            # that is after the fall, within the cold-start limit (3 h; 2.5 h for a frail
            # elder alone; 25–60 min in a bathroom) and a few sweeps of 5 simulated minutes.
            opened = datetime.fromisoformat(alert["opened_at"]).timestamp()
            raised = on_sim_clock(alert, start, wall_origin)
            assert 0 < raised - fell_at <= 3 * HOUR + 30 * MIN, (raised - fell_at) / HOUR
            assert post.at - opened < 5.0  # escalated on the wall clock: on-call at once
            assert "no activity for" in alert["summary"]
            # Away does not last forever: past the latest return (23:00 at cold start) the
            # elder gone out in the afternoon is "not back" — and was nothing before, though
            # the sweeps went past the living room's 3 h long before.
            late, *_ = await rig.posts(
                1, of_elder(gone.elder_id, "inactivity"), deadline_s=deadline
            )
            alert = late.body["alert"]
            evening = start + (COLD_BACK_S - 8 * HOUR)  # 23:00 local: the start is 08:00
            assert evening <= on_sim_clock(alert, start, wall_origin) <= evening + 15 * MIN, alert[
                "opened_at"
            ]
            hour = f"not back by {COLD_BACK_S / HOUR:02.0f}:"
            assert hour in alert["summary"], alert["summary"]
            rows = await rig.sql(
                "SELECT elder_id, opened_at FROM alerts WHERE type = 'inactivity'"
                " AND elder_id = ANY(%s) ORDER BY opened_at",
                [gone.elder_id, fallen.elder_id],
            )
            assert [r[0] for r in rows] == [fallen.elder_id, gone.elder_id]
        finally:
            stop.set()
            if homes is not None:
                await homes
            rx.release()
            await rig.stop_all()
            publisher.close()
            services.drop_database(url)
