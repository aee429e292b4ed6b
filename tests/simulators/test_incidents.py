"""Injected incidents leave the evidence their truth line promises, and nothing else does."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from simulators.absences import FAMILY, HOSPITAL
from simulators.clock import parse_iso_or_epoch
from simulators.generator import Generator
from simulators.incidents import Forced
from simulators.routine import usual_wake
from simulators.track import room_at
from simulators.world import World, build_world
from tests.simulators.helpers import START, file_run, lines, small_world

# Contract §2 Alerts: the only types a truth line may name, besides "away".
ALERT_TYPES = {
    "sos",
    "fall",
    "smoke",
    "gas",
    "inactivity",
    "night_wandering",
    "abnormal_temperature",
    "abnormal_vitals",
    "activity_drop",
    "device_offline",
    "battery_low",
    "missed_checkin",
    "visit_overdue",
}


def _single_home_with(role: str) -> tuple[World, int]:
    world = build_world(60, 23, START)
    for home in world.homes:
        if role in home.roles and home.occupants == 1 and home.persona.key == "active_alone":
            return world, home.index
    raise AssertionError(f"no single home with {role}")


def _bathroom_time(world: World, home: int) -> float:
    """A moment of day 2 when the elder is in the bathroom, from the normal plan."""
    begin = START.timestamp()
    gen = Generator(world, begin, begin + 2 * 86400, incident_rate=0.0, keep_plans=True)
    chunks = list(gen.chunks())
    plan = chunks[1].plans[home]
    spans = [(a, b) for a, b, room in plan.me.where if room == "bathroom" and a > plan.wake + 3600]
    a, b = spans[0]
    return (a + b) / 2


def _events_of(text: str, devices: set[str]) -> list[tuple[float, str, float]]:
    out = []
    for line in lines(text):
        if line["device_id"] in devices and "event" in line:
            event = line["event"]
            out.append(
                (parse_iso_or_epoch(event["ts"]) or 0.0, event["kind"], event.get("value", 0.0))
            )
    return out


def test_a_fall_where_a_radar_watches_sends_a_fall_event_then_no_movement_until_found() -> None:
    world, home = _single_home_with("fall")
    at = _bathroom_time(world, home)
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "fall", at)])
    radar = world.devices[world.homes[home].roles["fall"]].id
    elder = world.homes[home].elder_id
    falls = [r for r in truth if r["type"] == "fall" and r["elder_id"] == elder]
    assert len(falls) == 1
    assert falls[0]["device_ids"] == [radar]
    still = next(r for r in truth if r["type"] == "inactivity" and r["elder_id"] == elder)
    start, end = parse_iso_or_epoch(still["start"]) or 0, parse_iso_or_epoch(still["end"]) or 0
    assert abs(start - at) < 1
    assert end - start >= 2 * 3600
    mine = {d.id for d in world.devices if d.home == home}
    events = _events_of(text, mine)
    assert any(k == "fall" and at <= t <= at + 30 for t, k, _ in events)
    moving = [t for t, k, _ in events if k in ("motion", "door", "bed", "water", "power")]
    assert not [t for t in moving if start + 60 < t < end - 5]
    assert [t for t in moving if end - 5 <= t < end + 3600], "helpers come in when found"


def test_heat_stress_truth_window_is_where_the_sensor_reads_35_or_more() -> None:
    world, home = _single_home_with("env")
    at = START.timestamp() + 36 * 3600  # 12:00 on day 2
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "heat", at)])
    record = next(r for r in truth if r["type"] == "abnormal_temperature")
    a, b = parse_iso_or_epoch(record["start"]) or 0, parse_iso_or_epoch(record["end"]) or 0
    temps = [
        (t, v) for t, k, v in _events_of(text, set(record["device_ids"])) if k == "temperature"
    ]
    inside = [v for t, v in temps if a <= t < b]
    outside = [v for t, v in temps if not a - 1 <= t < b + 1]
    assert inside
    assert min(inside) >= 35.0
    assert outside
    assert max(outside) < 35.0


def test_malformed_payloads_appear_as_raw_lines_of_one_device_of_the_home() -> None:
    world, home = _single_home_with("env")
    at = START.timestamp() + 30 * 3600
    text, _ = file_run(world, 2, rate=0.0, forced=[Forced(home, "malformed", at)])
    raws = [line for line in lines(text) if "raw" in line]
    assert raws
    (device,) = {r["device_id"] for r in raws}
    assert world.devices[world.device_ids().index(device)].home == home


@pytest.mark.parametrize("kind", ["skew", "malformed"])
def test_a_fault_that_raises_no_alert_writes_no_truth_line(kind: str) -> None:
    """truth.jsonl holds alert types of contract §2 and ``away`` (the elder is out):
    a skewed clock or garbage on the wire is neither."""
    world, home = _single_home_with("env")
    at = START.timestamp() + 30 * 3600
    _, quiet = file_run(world, 3, rate=0.0)
    _, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, kind, at)])
    assert truth == quiet


def test_a_stuck_sensor_is_a_device_offline_of_that_sensor_firing_every_minute() -> None:
    world, home = _single_home_with("pir:bedroom")
    at = START.timestamp() + 30 * 3600
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "stuck", at)])
    record = next(r for r in truth if r["type"] == "device_offline")
    (device,) = record["device_ids"]
    assert device.startswith("pir-")
    a, b = parse_iso_or_epoch(record["start"]) or 0, parse_iso_or_epoch(record["end"]) or 0
    assert b - a >= 3 * 3600
    fired = sorted(t for t, k, _ in _events_of(text, {device}) if k == "motion" and a <= t < b)
    gaps = [y - x for x, y in itertools.pairwise(fired)]
    assert gaps
    assert max(gaps) < 80


def test_an_offline_device_says_so_and_is_silent_until_it_returns() -> None:
    world, home = _single_home_with("env")
    at = START.timestamp() + 30 * 3600
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "offline", at)])
    record = next(r for r in truth if r["type"] == "device_offline")
    (device,) = record["device_ids"]
    a, b = parse_iso_or_epoch(record["start"]) or 0, parse_iso_or_epoch(record["end"]) or 0
    assert not [t for t, _, _ in _events_of(text, {device}) if a <= t < b]
    statuses = [
        line["status"]
        for line in lines(text)
        if line.get("device_id") == device and "status" in line
    ]
    assert statuses == ["online", "offline", "online", "offline"]  # start, fault, back, power-off


def test_night_wandering_opens_the_door_at_night_within_the_truth_window() -> None:
    world = build_world(40, 4, START)
    at = START.timestamp() + 24 * 3600 + 0.5 * 3600  # 00:30 on day 2: back before 03:00
    begin = START.timestamp()
    gen = Generator(world, begin, begin + 2 * 86400, incident_rate=0.0, keep_plans=True)
    plans = list(gen.chunks())[1].plans
    home = next(
        h.index
        for h in world.homes
        if h.occupants == 1
        and h.persona.key != "bed_bound"
        and room_at(plans[h.index].me, at) == "sleep"
    )
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "night_wandering", at)])
    record = next(r for r in truth if r["type"] == "night_wandering")
    a, b = parse_iso_or_epoch(record["start"]) or 0, parse_iso_or_epoch(record["end"]) or 0
    doors = [t for t, k, v in _events_of(text, set(record["device_ids"])) if k == "door" and v == 1]
    assert [t for t in doors if a - 5 <= t <= a + 5]
    assert [t for t in doors if b - 5 <= t <= b + 5]


def test_sos_press_is_on_the_wire_at_the_truth_start() -> None:
    world, home = _single_home_with("sos")
    at = _bathroom_time(world, home)
    text, truth = file_run(world, 3, rate=0.0, forced=[Forced(home, "sos", at)])
    record = next(r for r in truth if r["type"] == "sos")
    start = parse_iso_or_epoch(record["start"]) or 0
    presses = [t for t, k, _ in _events_of(text, set(record["device_ids"])) if k == "sos"]
    assert presses
    assert abs(presses[0] - start) <= 3.0


@pytest.mark.parametrize("start", [START, datetime(2026, 1, 12, tzinfo=START.tzinfo)])
def test_a_month_of_random_incidents_names_only_known_types_elders_and_devices(
    start: datetime,
) -> None:
    world = build_world(40, 9, start)
    _, truth = file_run(world, 30, rate=3.0, start=start)
    types = {r["type"] for r in truth}
    assert types <= ALERT_TYPES | {"away"}
    assert {"sos", "fall", "inactivity", "device_offline", "away"} <= types
    elders, devices = {h.elder_id for h in world.homes}, set(world.device_ids())
    for record in truth:
        assert record["elder_id"] in elders
        assert set(record.get("device_ids", [])) <= devices
        if "end" in record:
            assert record["end"] >= record["start"]


def test_a_month_of_a_hundred_homes_has_truth_for_vitals_dwell_late_wakeup_and_decline() -> None:
    world = build_world(100, 5, START)
    text, truth = file_run(world, 30, rate=1.0)
    types = {r["type"] for r in truth}
    assert {"abnormal_vitals", "activity_drop", "abnormal_temperature"} <= types
    subtypes = {r.get("subtype") for r in truth if r["type"] == "inactivity"}
    assert {"bathroom_dwell", "late_wakeup"} <= subtypes
    for record in (r for r in truth if r["type"] == "abnormal_vitals"):
        start = parse_iso_or_epoch(record["start"]) or 0
        end = parse_iso_or_epoch(record["end"]) or 0
        inside = [
            value
            for t, kind, value in _events_of(text, set(record["device_ids"]))
            if kind == "heart_rate" and start <= t < end
        ]
        assert inside, record
        assert all(v < 40 or v > 130 for v in inside), record


def test_a_wearable_reads_around_its_own_resting_rate_with_single_spikes_only() -> None:
    world = build_world(100, 5, START)
    text, truth = file_run(world, 10, rate=0.0)
    bands = {d.id for d in world.devices if d.type == "wearable"}
    readings: dict[str, list[tuple[float, float]]] = {}
    for line in lines(text):
        event = line.get("event")
        if line["device_id"] in bands and event and event["kind"] == "heart_rate":
            ts = parse_iso_or_epoch(event["ts"]) or 0.0
            readings.setdefault(line["device_id"], []).append((ts, event["value"]))
    assert len(readings) >= 5
    medians = []
    for rows in readings.values():
        rows.sort()
        values = [v for _, v in rows]
        medians.append(sorted(values)[len(values) // 2])
        high = [v > 130 for v in values]
        assert not any(x and y for x, y in itertools.pairwise(high))  # one at a time
        assert sum(v < 40 for v in values) <= len(values) // 100
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(rows)]
        assert max(gaps) > 1200  # off the wrist at night, or for a while by day
    assert min(medians) < 70 < max(medians)
    assert not [r for r in truth if r["type"] == "abnormal_vitals"]


def test_a_late_wake_up_is_two_to_four_hours_past_the_elders_usual_hour() -> None:
    world, home = _single_home_with("bed")
    plan_start = START.timestamp() + 2 * 86400 + 3 * 3600  # Wednesday's plan day, from 03:00
    _, truth = file_run(world, 4, rate=0.0, forced=[Forced(home, "late_wake", plan_start + 3600)])
    late = [r for r in truth if r.get("subtype") == "late_wakeup"]
    assert len(late) == 1
    start = parse_iso_or_epoch(late[0]["start"]) or 0.0
    end = parse_iso_or_epoch(late[0]["end"]) or 0.0
    usual = usual_wake(world.homes[home], plan_start)
    # Late against the usual hour (not against a day drawn early), from when staying in
    # bed stops being ordinary, and long enough to be an incident.
    assert start >= usual
    assert 2 * 3600 <= end - usual <= 4 * 3600
    assert end - start >= 3600


def test_a_bathroom_dwell_is_an_incident_only_for_an_elder_living_alone() -> None:
    world = build_world(60, 23, START)
    couple = next(h for h in world.homes if h.occupants > 1 and "pir:bathroom" in h.roles)
    alone, home = _single_home_with("pir:bathroom")
    for w, index, expected in ((world, couple.index, 0), (alone, home, 1)):
        at = _bathroom_time(w, index)
        _, truth = file_run(w, 3, rate=0.0, forced=[Forced(index, "dwell", at)])
        dwells = [r for r in truth if r.get("subtype") == "bathroom_dwell"]
        assert len(dwells) == expected  # a partner at home finds them, as after a fall


def test_an_elder_alone_leaves_by_the_door_and_nothing_in_the_home_moves_while_away() -> None:
    """Whatever an incident blanked or a stay was cut short by: every time away begins at
    the entrance door, and in a home of one with nobody visiting nothing moves, is
    switched on or opened until the elder is back (a late wake-up used to swallow the door
    of a morning outing, and a kitchen stay cut short by going out switched the kettle on
    after the door)."""
    world = build_world(40, 5, START)
    text, truth = file_run(world, 14, rate=3.0)
    begin = START.timestamp()
    same = Generator(world, begin, begin + 14 * 86400, incident_rate=3.0, keep_plans=True)
    others: dict[int, list[tuple[float, float]]] = {}
    for chunk in same.chunks():  # the same run: who else was in each home, and when
        for plan in chunk.plans:
            others.setdefault(plan.home, []).extend(
                (o.where[0][0], o.where[-1][1]) for o in plan.others if o.where
            )
    events = lines(text)
    alone = {h.elder_id: h for h in world.homes if h.occupants == 1 and "door" in h.roles}
    left, empty = 0, 0
    for record in truth:
        home = alone.get(str(record["elder_id"]))
        if record["type"] != "away" or home is None:
            continue
        start = parse_iso_or_epoch(record["start"]) or 0.0
        end = parse_iso_or_epoch(record["end"]) or 0.0
        if start < begin + 60:
            continue  # left before the file begins
        ids = {world.devices[d].id for d in home.roles.values()}
        door = world.devices[home.roles["door"]].id
        mine = [
            (parse_iso_or_epoch(e["event"]["ts"]) or 0.0, e["device_id"], e["event"])
            for e in events
            if e["device_id"] in ids and "event" in e
        ]
        assert any(d == door and abs(t - start) <= 60 for t, d, _ in mine), record
        left += 1
        if any(a < end and b > start for a, b in others.get(home.index, [])):
            continue  # a visitor or carer was in
        moved = [
            (t, d, e["kind"])
            for t, d, e in mine
            if start + 60 < t < end - 60
            and (
                e["kind"] in ("motion", "bed", "door")
                or (e["kind"] == "power" and e.get("value", 0) > 5)
            )
        ]
        assert moved == [], (record, moved[:3])
        empty += 1
    assert left >= 50
    assert empty >= 30


def test_most_nights_away_and_every_hospital_stay_are_declared_absences() -> None:
    """The family says most nights with them (``DECLARED_P``), the on-call every hospital
    stay; a declared absence covers what it declares, as a person would say it."""
    world = build_world(300, 5, START)
    begin = START.timestamp()
    gen = Generator(world, begin, begin + 21 * 86400, incident_rate=3.0, keep_plans=True)
    nights: list[tuple[str, float, float]] = []
    stays: list[tuple[str, float, float]] = []
    for chunk in gen.chunks():
        for plan in chunk.plans:
            elder = world.homes[plan.home].elder_id
            nights += [(elder, a, b) for a, b in plan.nights_away]
            stays += [(elder, a, b) for a, b in plan.hospital]
    declared = {
        elder: [
            (parse_iso_or_epoch(x["from"]) or 0.0, parse_iso_or_epoch(x["to"]) or 0.0, x["reason"])
            for x in listed
        ]
        for elder, listed in gen.absences.items()
    }

    def said(elder: str, left: float, reason: str) -> bool:
        return any(a <= left < b and r == reason for a, b, r in declared.get(elder, []))

    assert len(nights) >= 100
    assert len(stays) >= 10
    share = sum(said(e, a + 1.0, FAMILY) for e, a, _ in nights) / len(nights)
    assert 0.7 <= share <= 0.9  # DECLARED_P = 0.8: some nights nobody tells anyone of
    for elder, taken, back in stays:  # (the file's times are to the millisecond)
        assert said(elder, taken + 0.001, HOSPITAL)
        assert any(a <= taken + 0.001 and b >= back - 0.001 for a, b, _ in declared[elder])
    total = sum(map(len, declared.values()))
    assert total == round(share * len(nights)) + len(stays)


def test_a_contacts_home_hears_its_toilet_not_its_kitchen_taps() -> None:
    """The contacts kit's meter is the toilet's: water is drawn there as a bathroom stay
    ends (the flush, the wash, the shower), never at the kitchen's cooking."""
    world, home = _single_home_with("water:toilet")
    begin = START.timestamp()
    text, _ = file_run(world, 2, rate=0.0)
    meter = world.devices[world.homes[home].roles["water:toilet"]].id
    drawn = [t for t, k, _ in _events_of(text, {meter}) if k == "water"]
    gen = Generator(world, begin, begin + 2 * 86400, incident_rate=0.0, keep_plans=True)
    where = [span for chunk in gen.chunks() for span in chunk.plans[home].me.where]
    bathroom = [(a, b) for a, b, room in where if room == "bathroom"]
    assert len(drawn) >= 4  # a flush and the morning's wash a day at least
    # Within a minute of a bathroom stay (the event's clock carries the wire's jitter).
    assert all(any(a - 60 <= t <= b + 60 for a, b in bathroom) for t in drawn)
    assert any(room == "kitchen" for _, _, room in where)  # where the taps go unheard


def test_a_draining_battery_writes_its_low_and_empty_truth_on_the_days_they_come() -> None:
    """The drain is drawn on one day and empties the battery days later: its truth lines
    begin then, and are written all the same (they were dropped with the day they were
    known on)."""
    world = small_world(4, seed=5)
    home = world.homes[0]
    at = START.timestamp() + 3600
    text, truth = file_run(world, 12, rate=0.0, forced=[Forced(home.index, "drain", at)])
    low = next(r for r in truth if r["type"] == "battery_low")
    empty = next(r for r in truth if r["type"] == "device_offline")
    (device,) = low["device_ids"]
    assert empty["device_ids"] == [device]
    assert world.devices[world.device_ids().index(device)].home == home.index
    low_at = parse_iso_or_epoch(low["start"]) or 0.0
    empty_at = parse_iso_or_epoch(empty["start"]) or 0.0
    back = parse_iso_or_epoch(empty["end"]) or 0.0
    assert at + 86400 < low_at < empty_at < back
    levels = [
        (parse_iso_or_epoch(line["event"]["ts"]) or 0.0, line["event"]["battery"])
        for line in lines(text)
        if line["device_id"] == device and "battery" in line.get("event", {})
    ]
    assert all(level >= 20 for t, level in levels if t < low_at - 3600)
    assert any(level < 20 for t, level in levels if low_at <= t < empty_at)
    assert not [t for t, _ in levels if empty_at <= t < back]


def test_a_fall_or_a_dwell_while_someone_visits_is_seen_at_once_not_a_silence() -> None:
    """A carer or family in the home finds an elder who falls, or cannot get up from the
    toilet, within minutes: it is no inactivity incident, as with a partner at home (a
    carer used to leave a bed-bound elder lying on the living-room floor, unseen)."""
    world = build_world(60, 23, START)
    begin = START.timestamp()
    gen = Generator(world, begin, begin + 6 * 86400, incident_rate=0.0, keep_plans=True)
    plans = [plan for chunk in list(gen.chunks())[1:] for plan in chunk.plans]
    awake = ("bedroom", "living_room", "kitchen", "bathroom")
    found = [
        (plan.home, t, room_at(plan.me, t))
        for plan in plans
        if world.homes[plan.home].occupants == 1
        for a, b in plan.visits
        for t in (a + (b - a) * k / 8 for k in range(1, 8))
        if room_at(plan.me, t) in awake
    ]
    assert found, "a visit to someone living alone on days 2-6"
    home, at, _ = found[0]
    _, truth = file_run(world, 7, rate=0.0, forced=[Forced(home, "fall", at)])
    elder = world.homes[home].elder_id
    assert not [r for r in truth if r["elder_id"] == elder and r["type"] == "inactivity"]
    assert any(r["elder_id"] == elder and r.get("note") == "taken to hospital" for r in truth)
    home, at = next((h, t) for h, t, room in found if room == "bathroom")
    _, truth = file_run(world, 7, rate=0.0, forced=[Forced(home, "dwell", at)])
    assert not [r for r in truth if r.get("subtype") == "bathroom_dwell"]
