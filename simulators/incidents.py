"""Incidents laid over a normal day, each with its ground truth (truth.jsonl).

An incident changes what the elder does (a fall ends their day on the floor until someone
comes), and writes what a detector should find: the alert type of the contract, when it
began and ended, and which device(s) carry the evidence.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

from simulators import codes
from simulators.clock import DAY, local_date
from simulators.day_plan import DayPlan, HomeState
from simulators.device_faults import FAULTS, fault
from simulators.health_incidents import HEALTH
from simulators.track import HOUR, MIN, Track, blank, room_at
from simulators.truth import record_truth
from simulators.world import Home

# Chance per household per day (× --incident-rate). Falls, SOS and device trouble are
# frequent enough that a month of 1 000 homes holds dozens of each.
RATES: Final[dict[str, float]] = {
    "fall": 1 / 300,
    "illness": 1 / 700,
    "not_returning": 1 / 1500,
    "night_wandering": 0.0,  # per persona: Persona.wander_p
    "heat": 1 / 60,  # on summer days only
    "smoke": 1 / 500,
    "gas": 1 / 900,
    "sos": 1 / 150,
    "decline": 1 / 600,
    "vitals": 1 / 60,  # homes with a wearable only
    "dwell": 1 / 400,
    "late_wake": 1 / 300,
    "offline": 1 / 250,
    "drain": 1 / 600,
    "stuck": 1 / 700,
    "skew": 1 / 900,
    "malformed": 1 / 300,
}
KINDS: Final = tuple(RATES)
# A decline does not end within a run: its truth stays open this long (activity is down to
# 0.55 of usual a week in; a detector has three weeks to say so, its delay counted from the
# first day of the decline).
DECLINE_TRUTH_DAYS: Final = 21


@dataclass(frozen=True, slots=True)
class Forced:
    """A scenario-file incident: this home, this kind, at this time."""

    home: int
    kind: str
    at: float


def carried(plan: DayPlan, home: Home, state: HomeState, rng: random.Random) -> None:
    """Yesterday's incident still going on: lying still, in hospital, not back home."""
    me = plan.me
    if state.still_until > plan.start:
        arrivals = [a for a, _ in plan.visits if a > plan.start]
        found = min([state.still_until, *arrivals])
        state.still_until = 0.0
        blank(me, plan.start, min(found, plan.end), "still")
        _rescue(plan, home, state, rng, found, state.still_room)
    elif state.absent_until > plan.start:
        back = state.absent_until
        blank(me, plan.start, min(back, plan.end), "hospital")
        plan.visits = [v for v in plan.visits if v[0] >= back]
        plan.others = [o for o in plan.others if not o.segs or o.segs[0][0] >= back]
        if back < plan.end:
            me.door(back)


def _rescue(  # noqa: PLR0917 - internal, called in one place
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, found: float, room: str
) -> None:
    """Found at ``found``: helpers come in, and the elder spends a few days in hospital."""
    if found >= plan.end:
        state.still_until, state.still_room = found, room
        return
    plan.others = [o for o in plan.others if not o.segs or o.segs[0][0] < found]
    helper = Track(plan.me.roles, rng, cursor=found)
    helper.door(found)
    helper.stay("entrance", 1, 1.0)
    helper.stay(room, helper.minutes(15, 35), 1.2)
    helper.door(helper.cursor)
    plan.others.append(helper)
    back = helper.cursor + rng.uniform(1.0, 3.0) * DAY
    blank(plan.me, found, plan.end, "hospital")
    state.absent_until = back
    plan.hospital.append((helper.cursor, back))
    record_truth(plan, home, "away", helper.cursor, back, note="taken to hospital")


def _home_time(plan: DayPlan, rng: random.Random, rooms: tuple[str, ...]) -> float | None:
    """A random moment when the elder is awake at home in one of ``rooms``."""
    spans = [(a, b) for a, b, r in plan.me.where if r in rooms and b - a > 2 * MIN]
    if not spans:
        return None
    a, b = rng.choice(spans)
    return a + rng.random() * (b - a)


def _pick_time(
    plan: DayPlan, rng: random.Random, at: float | None, rooms: tuple[str, ...]
) -> float | None:
    if at is not None:
        return at if room_at(plan.me, at) in rooms else None
    return _home_time(plan, rng, rooms)


ROOMS_AWAKE: Final = ("bedroom", "living_room", "kitchen", "bathroom", "entrance")


def fall(plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None) -> None:
    t = _pick_time(plan, rng, at, ROOMS_AWAKE)
    if t is None:
        return
    room = room_at(plan.me, t) or "bathroom"
    detector: int | None = None
    if "fall" in home.roles and room == "bathroom" and rng.random() < 0.93:
        detector = home.roles["fall"]
    elif plan.wear and plan.wear[0] <= t < plan.wear[1] and rng.random() < 0.85:
        detector = home.roles["wear"]
    alone = home.occupants == 1 and not plan.attended(t)
    helpers = [a for a, _ in plan.visits if a > t + 10 * MIN]
    found = t + (rng.uniform(10, 40) * MIN if not alone else rng.uniform(2.5, 10) * HOUR)
    found = min([found, *helpers])
    blank(plan.me, t, min(found, plan.end), "still")
    if detector is not None:
        plan.me.points.append((round(t + rng.uniform(2, 15), 3), detector, codes.FALL, 1.0))
        record_truth(plan, home, "fall", t, devices=[detector], note=f"fall in the {room}")
    if alone:
        record_truth(
            plan, home, "inactivity", t, found, note=f"lying on the {room} floor after a fall"
        )
    _rescue(plan, home, state, rng, found, room)


def illness(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    if home.occupants > 1 or math.isnan(plan.wake):
        return
    # Not while away for the night (or in hospital): nobody to fall ill in that bed.
    if room_at(plan.me, plan.wake) in (None, "away", "night_away", "hospital", "missing"):
        return
    t = plan.wake if at is None else max(at, plan.start)
    helpers = [a for a, _ in plan.visits if a > t + 30 * MIN]
    found = min([t + rng.uniform(3.0, 10.0) * HOUR, *helpers])
    blank(plan.me, t, min(found, plan.end), "still")
    if "pir:bedroom" in home.roles:
        plan.me.segs.append((t, min(found, plan.end), home.roles["pir:bedroom"], 0.01))
    record_truth(plan, home, "inactivity", t, found, note="sudden illness: stays in bed")
    _rescue(plan, home, state, rng, found, "bedroom")


def not_returning(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    midnight = plan.start - 3 * HOUR
    t = at if at is not None else midnight + rng.uniform(15.0, 18.5) * HOUR
    if home.occupants > 1 or room_at(plan.me, t) in (
        None,
        "away",
        "sleep",
        "still",
        "hospital",
        "missing",
        "night_away",
    ):
        return
    blank(plan.me, t, plan.end, "missing")
    plan.me.door(t)
    back = midnight + DAY + rng.uniform(7.0, 11.0) * HOUR
    state.absent_until = back
    expected = max(plan.bedtime, t + HOUR) if not math.isnan(plan.bedtime) else t + 4 * HOUR
    record_truth(
        plan,
        home,
        "inactivity",
        expected,
        back,
        [home.roles["door"]],
        note="went out and did not come home at night",
    )


def night_wandering(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    if at is None:
        at = plan.end - rng.uniform(1.0, 3.0) * HOUR  # between midnight and 02:00
    if room_at(plan.me, at) != "sleep":
        return
    out = Track(plan.me.roles, rng, scale=plan.me.scale, cursor=at)
    out.act(at, "bed", codes.BED, 0.0)
    out.stay("bedroom", out.minutes(0.5, 2), 0.9)
    out.stay("living_room", out.minutes(0.5, 3), 0.9)
    out.go_out(out.cursor + rng.uniform(15, 90) * MIN)
    door_at, back = [p[0] for p in out.points if p[2] == codes.DOOR and p[3] == 1.0][:2]
    out.stay("bedroom", out.minutes(1, 3), 0.9)
    out.act(out.cursor, "bed", codes.BED, 1.0)
    if out.cursor >= plan.end:
        return
    blank(plan.me, at, out.cursor, "wandering")
    plan.me.segs += out.segs
    plan.me.points += out.points
    record_truth(
        plan,
        home,
        "night_wandering",
        door_at,
        back,
        [home.roles["door"]],
        note="left the home at night",
    )


def heat(plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None) -> None:
    if "env" not in home.roles:
        return
    midnight = plan.start - 3 * HOUR
    start = at if at is not None else midnight + rng.uniform(11.5, 13.5) * HOUR
    end = start + rng.uniform(3.5, 6.0) * HOUR
    plan.heat = (start, end, rng.uniform(35.8, 38.5))
    record_truth(
        plan,
        home,
        "abnormal_temperature",
        start,
        end,
        [home.roles["env"]],
        note="indoor heat: fan broken in a hot spell",
    )


def alarm(plan: DayPlan, home: Home, rng: random.Random, at: float | None, kind: str) -> None:
    if kind not in home.roles:
        return
    t = _pick_time(plan, rng, at, ("kitchen",) if at is None else ROOMS_AWAKE)
    if t is None:
        return
    end = t + (rng.uniform(2, 8) if kind == "smoke" else rng.uniform(10, 40)) * MIN
    device = home.roles[kind]
    code = codes.SMOKE if kind == "smoke" else codes.GAS
    plan.me.points += [(round(t, 3), device, code, 1.0), (round(end, 3), device, code, 0.0)]
    note = "burnt pot on the stove" if kind == "smoke" else "gas left open"
    record_truth(plan, home, kind, t, end, [device], note=note)


def sos(plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None) -> None:
    t = _pick_time(plan, rng, at, ROOMS_AWAKE)
    if t is None or "sos" not in home.roles:
        return
    device = home.roles["sos"]
    plan.me.points.append((round(t, 3), device, codes.SOS, math.nan))
    if rng.random() < 0.4:
        end = t + rng.uniform(8, 60)
        plan.me.points.append((round(end, 3), device, codes.CANCEL, math.nan))
        record_truth(plan, home, "sos", t, end, [device], note="pressed by mistake, cancelled")
        return
    helper = Track(plan.me.roles, rng, cursor=t + rng.uniform(12, 40) * MIN)
    arrive = helper.cursor
    helper.door(arrive)
    helper.stay(room_at(plan.me, t) or "living_room", helper.minutes(20, 50), 1.1)
    helper.door(helper.cursor)
    plan.others.append(helper)
    record_truth(plan, home, "sos", t, arrive, [device], note="called for help: felt dizzy")


def decline(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    if state.decline_start is not None:
        return
    # Within today: a truth line must start inside the day that writes it.
    state.decline_start = at if at is not None else plan.start + rng.uniform(0.0, 20.0) * HOUR
    record_truth(
        plan,
        home,
        "activity_drop",
        state.decline_start,
        state.decline_start + DECLINE_TRUTH_DAYS * DAY,
        note="slow decline: less activity, more night-time restlessness over weeks",
    )


def apply(  # noqa: PLR0917 - internal, called in one place
    plan: DayPlan,
    home: Home,
    state: HomeState,
    rng: random.Random,
    rate: float,
    forced: list[Forced],
) -> None:
    """Lay yesterday's ongoing incident, forced ones, and random ones over ``plan``."""
    carried(plan, home, state, rng)
    # Away all day (hospital, a night away): no incident of the person. Back during the day:
    # incidents pick their moments among the hours at home.
    busy = state.still_until > plan.start or state.absent_until >= plan.end
    chosen: list[tuple[str, float | None]] = [(f.kind, f.at) for f in forced]
    month = local_date(plan.start).month
    for kind in KINDS:
        chance = RATES[kind] * rate
        if kind == "night_wandering":
            chance = home.persona.wander_p * rate
        elif (kind == "heat" and month not in (6, 7, 8, 9)) or (
            kind == "vitals" and "wear" not in home.roles
        ):
            chance = 0.0
        if chance > 0 and rng.random() < chance:
            chosen.append((kind, None))
    for kind, at in chosen:
        person_incident = kind not in FAULTS and kind not in ("heat", "decline")
        if busy and person_incident:
            continue
        _dispatch(plan, home, state, rng, kind, at)
        busy = busy or state.absent_until > plan.start
    _night_away(plan, state)


def _night_away(plan: DayPlan, state: HomeState) -> None:
    """A night away still planned after today's incidents goes on into the next day."""
    for leave, back in plan.nights_away:
        if room_at(plan.me, leave + 1.0) != "night_away":  # an incident came first
            plan.nights_away.remove((leave, back))
            return
        state.absent_until = max(state.absent_until, back)


def _dispatch(  # noqa: PLR0917 - internal, called in one place
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, kind: str, at: float | None
) -> None:
    if kind in FAULTS:
        fault(plan, home, rng, at, kind)
    elif kind in ("smoke", "gas"):
        alarm(plan, home, rng, at, kind)
    else:
        HANDLERS[kind](plan, home, state, rng, at)


HANDLERS: Final = {
    "fall": fall,
    "illness": illness,
    "not_returning": not_returning,
    "night_wandering": night_wandering,
    "heat": heat,
    "sos": sos,
    "decline": decline,
    **HEALTH,
}
