"""The routine model: a week's statistics per persona fall in stated ranges."""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from datetime import datetime

import numpy as np
import pytest

from simulators import codes
from simulators.clock import local_hour, parse_iso_or_epoch
from simulators.generator import Generator
from simulators.personas import PERSONAS
from simulators.routine import Awake, _fill
from simulators.track import Track
from simulators.world import build_world
from tests.simulators.helpers import START, WINTER, file_run, lines

# persona → (wake hour range, night trips per night range)
RANGES = {
    "active_alone": ((5.3, 6.8), (0.6, 1.5)),
    "empty_nest_couple": ((5.4, 7.0), (0.8, 1.8)),
    "old_alone_80": ((4.9, 6.3), (1.5, 2.6)),
    "couple_dependent": ((5.3, 6.8), (1.3, 2.5)),
    "incapacitated": ((6.0, 7.6), (1.5, 2.8)),
    "bed_bound": ((6.0, 7.6), (0.0, 0.0)),
    "dementia": ((5.5, 7.5), (1.8, 3.2)),
}


def _week(start: datetime) -> dict[str, dict[str, float]]:
    world = build_world(90, 11, start)
    gen = Generator(
        world, start.timestamp(), start.timestamp() + 7 * 86400, incident_rate=0.0, keep_plans=True
    )
    wake: dict[str, list[float]] = defaultdict(list)
    trips: dict[str, list[int]] = defaultdict(list)
    events: Counter[str] = Counter()
    motion: Counter[str] = Counter()
    home_of = np.array([d.home for d in world.devices])
    for chunk in gen.chunks():
        for plan in chunk.plans:
            key = world.homes[plan.home].persona.key
            wake[key].append(local_hour(plan.wake))
            trips[key].append(plan.trips)
        for counter, rows in (
            (events, chunk.code < codes.ONLINE),
            (motion, chunk.code == codes.MOTION),
        ):
            homes, counts = np.unique(home_of[chunk.dev[rows]], return_counts=True)
            for home, count in zip(homes.tolist(), counts.tolist(), strict=True):
                counter[world.homes[home].persona.key] += count
    people = Counter(home.persona.key for home in world.homes)
    return {
        key: {
            "wake": statistics.mean(wake[key]),
            "wake_sd": statistics.stdev(wake[key]),
            "trips": statistics.mean(trips[key]),
            "events": events[key] / people[key] / 7,
            "motion": motion[key] / people[key] / 7,
        }
        for key in people
    }


@pytest.fixture(scope="module")
def summer() -> dict[str, dict[str, float]]:
    return _week(START)


@pytest.fixture(scope="module")
def winter() -> dict[str, dict[str, float]]:
    return _week(WINTER)


def test_every_persona_appears_in_a_world_of_ninety_homes(
    summer: dict[str, dict[str, float]],
) -> None:
    assert set(summer) == set(RANGES)


@pytest.mark.parametrize("persona", sorted(RANGES))
def test_wake_time_and_night_trips_fall_in_the_personas_range(
    summer: dict[str, dict[str, float]], persona: str
) -> None:
    (wake_lo, wake_hi), (trips_lo, trips_hi) = RANGES[persona]
    stats = summer[persona]
    assert wake_lo <= stats["wake"] <= wake_hi
    assert trips_lo <= stats["trips"] <= trips_hi
    assert 350 <= stats["events"] <= 1000, "messages a day per home"


def test_dementia_wakes_irregularly_and_others_keep_their_hours(
    summer: dict[str, dict[str, float]],
) -> None:
    # Everyone's days vary (real homes do: issue 13), dementia's more than the others'.
    assert summer["dementia"]["wake_sd"] >= 1.0
    for persona in ("active_alone", "old_alone_80", "empty_nest_couple"):
        assert 0.5 <= summer[persona]["wake_sd"] <= 0.95


def test_bed_bound_elders_move_far_less_and_couples_more(
    summer: dict[str, dict[str, float]],
) -> None:
    assert summer["bed_bound"]["motion"] < 0.7 * summer["active_alone"]["motion"]
    assert summer["empty_nest_couple"]["motion"] > 1.2 * summer["active_alone"]["motion"]


def test_winter_mornings_start_later_than_summer_ones(
    summer: dict[str, dict[str, float]], winter: dict[str, dict[str, float]]
) -> None:
    for persona in ("active_alone", "old_alone_80"):
        assert 0.3 <= winter[persona]["wake"] - summer[persona]["wake"] <= 1.0


def test_evening_outings_and_nights_away_are_in_truth_door_to_door() -> None:
    world = build_world(40, 3, START)
    text, truth = file_run(world, 14, rate=0.0)
    doors = {world.devices[h.roles["door"]].id: h.elder_id for h in world.homes}
    opened: dict[str, list[float]] = {}
    for line in lines(text):
        event = line.get("event")
        if line["device_id"] in doors and event is not None and event.get("value") == 1:
            opened.setdefault(doors[line["device_id"]], []).append(
                parse_iso_or_epoch(event["ts"]) or 0.0
            )
    away = [r for r in truth if r["type"] == "away"]
    hours = [int(r["start"][11:13]) for r in away]
    nights = [r for r in away if r["end"][:10] > r["start"][:10]]
    assert sum(h >= 17 for h in hours) >= 0.15 * len(away), "evening outings"
    assert nights, "a night away somewhere in 560 home-days"
    for record in away:
        start, end = (parse_iso_or_epoch(record[k]) or 0.0 for k in ("start", "end"))
        times = opened[record["elder_id"]]
        assert any(abs(t - start) < 60 for t in times), record
        assert any(abs(t - end) < 60 for t in times), record


def test_a_mobile_elder_has_a_day_out_now_and_then_and_a_bed_bound_one_never() -> None:
    """A day out (the town's market, the children in the city): gone after breakfast, back
    in the evening, about one day in 30 for the personas who go out; none for those who
    cannot."""
    world = build_world(90, 11, START)
    gen = Generator(
        world, START.timestamp(), START.timestamp() + 14 * 86400, incident_rate=0.0, keep_plans=True
    )
    outs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for chunk in gen.chunks():
        for plan in chunk.plans:
            home = world.homes[plan.home]
            if plan.day_out is not None:
                outs[home.persona.key].append(plan.day_out)
                leave, back = plan.day_out
                assert any(a <= leave + 3600 and b >= back - 60 for a, b in plan.outings)
    assert "bed_bound" not in outs
    assert "incapacitated" not in outs
    days = sum(len(v) for v in outs.values())
    assert 5 <= days <= 60  # ~1 in 30 of the mobile homes' 14 days
    for leave, back in (x for v in outs.values() for x in v):
        assert 7.5 <= local_hour(leave) <= 10.0
        assert 16.5 <= local_hour(back) <= 21.5


def test_free_time_cut_short_switches_nothing_on_after_it_ends() -> None:
    """A kitchen stay of free time cut short by what comes next (going out) keeps its
    cupboard and kettle within the stay: never after the entrance door."""
    roles = {"pir:kitchen": 0, "contact:cupboard": 1, "plug:kettle": 2, "pir:living_room": 3}
    acted = 0
    for seed in range(300):
        rng = random.Random(seed)
        me = Track(roles, rng, cursor=1000.0, room="living_room")
        day = Awake(me, PERSONAS["active_alone"], rng, 1.5, [])
        until = me.cursor + rng.uniform(2.5, 6.0) * 60
        _fill(day, until)
        actions = [p for p in me.points if p[1] in (1, 2) and p[3] > 0]  # opened, switched on
        acted += len(actions)
        assert all(p[0] < until for p in actions), (seed, until, actions)
    assert acted >= 20
