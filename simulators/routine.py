"""A normal day of one household: the elder's routine and the partner's (the visitors'
in ``visitors.py``), drawn into a ``day_plan.DayPlan``.

A plan day runs 03:00 → 03:00 local. Incidents (``incidents.py``) are laid over the normal
day afterwards, so that a fall cuts a real day short rather than an invented one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

from simulators import codes
from simulators.clock import DAY, local_date
from simulators.day_plan import DayPlan, HomeState
from simulators.personas import Persona
from simulators.track import HOUR, MIN, SLEEP_RATE, Track
from simulators.visitors import carer, family
from simulators.world import Home


def season_shift(month: int) -> float:
    """Earlier up in the Guangdong summer, later in the winter cold."""
    return {6: -0.25, 7: -0.3, 8: -0.25, 12: 0.25, 1: 0.35, 2: 0.25}.get(month, 0.0)


# How irregular real days are (issue 13, held against a real single-resident home): a
# per-day activity factor, wider spreads of the day's hours than each persona's own, still
# periods while awake, evening outings and now and then a night away.
DAY_FACTOR_SIGMA: Final = (
    0.45  # log-normal sd of the day's activity factor (0.35 gave a count CV of 0.31)
)
WAKE_SPREAD_H: Final = 0.5  # added (in quadrature) to the persona's wake-time sd
BED_SPREAD_H: Final = 1.0  # … and to its bedtime sd
STILL_COUNTS: Final = (1, 1, 2, 2, 2, 3)  # still periods a day (dozing, TV), one drawn
STILL_MEDIAN_MIN: Final = 40.0
STILL_SIGMA: Final = 0.86  # log-normal: p90 ≈ 2 h
DOZE_RATE: Final = 0.004  # PIR firings per minute of someone dozing in a chair
EVENING_OUT_P: Final = 0.7  # × the persona's outing chance: temple, square, neighbours
NIGHT_AWAY_P: Final = 1 / 25  # a night at a child's home (mobile personas)
# A day out (the town's market, a temple fair, the children in the city; mobile personas):
# gone after breakfast, back in the evening — drawn from a generator of its own (``plan_day``)
# so that it shifts no other draw of the routine (the day's expansion into events, drawn
# across all homes, still moves: a seed's files change a little everywhere).
DAY_OUT_P: Final = 1 / 30
DAY_OUT_LEAVE_H: Final = (7.5, 10.0)
DAY_OUT_BACK_H: Final = (16.5, 21.5)


def usual_wake(home: Home, start: float) -> float:
    """When the elder usually gets up on the plan day beginning at ``start``: their own
    hour, later at weekends, earlier in summer (each day spreads around it)."""
    date = local_date(start)
    shift = season_shift(date.month) + (0.2 if date.weekday() >= 5 else 0.0)
    return start - 3 * HOUR + (home.persona.wake_h + home.wake_shift_h + shift) * HOUR


def plan_day(home: Home, start: float, state: HomeState, rng: random.Random) -> DayPlan:
    """The normal day of ``home`` for the plan day beginning at ``start`` (03:00 local)."""
    persona = home.persona
    date = local_date(start)
    midnight = start - 3 * HOUR
    weekend = date.weekday() >= 5
    decline = state.decline(start)
    factor = math.exp(rng.gauss(0.0, DAY_FACTOR_SIGMA))
    scale = home.activity * persona.mobility * decline * factor
    me = Track(home.roles, rng, scale=scale, cursor=start, sees_bed=home.sees_bed)
    plan = DayPlan(home=home.index, start=start, end=start + DAY, me=me)
    wake = usual_wake(home, start)
    wake += rng.gauss(0.0, math.hypot(persona.wake_sd_h, WAKE_SPREAD_H)) * HOUR
    bed = midnight + (persona.sleep_h + home.sleep_shift_h) * HOUR
    bed += rng.gauss(0.0, math.hypot(persona.sleep_sd_h, BED_SPREAD_H)) * HOUR
    wake = min(max(wake, start + 0.75 * HOUR), start + 7.5 * HOUR)
    bed = min(max(bed, wake + 11 * HOUR), plan.end - 1.5 * HOUR)
    plan.wake, plan.bedtime = wake, bed
    trips_mean = persona.night_trips + (1.0 - decline) * 3.0
    restless = persona.restless * (1.0 + (1.0 - decline) * 4.0)
    night = (plan.end - bed) + (wake - start)
    morning_trips = _poisson(rng, trips_mean * (wake - start) / night)
    evening_trips = _poisson(rng, trips_mean * (plan.end - bed) / night)
    mobile = persona.outing_p >= 0.3
    away_p = NIGHT_AWAY_P * decline if mobile else 0.0
    if rng.random() < away_p and state.absent_until < start:
        plan.night_leave = midnight + rng.uniform(15.0, 19.5) * HOUR
    out = random.Random(f"tanfang-day-out:{home.elder_id}:{round(start)}")
    free = mobile and plan.night_leave is None and state.absent_until < start
    if out.random() < DAY_OUT_P * decline and free:
        leave = midnight + out.uniform(*DAY_OUT_LEAVE_H) * HOUR
        plan.day_out = (leave, midnight + out.uniform(*DAY_OUT_BACK_H) * HOUR)
    if persona.key == "bed_bound":
        _bed_bound_day(plan, wake, bed, restless)
    else:
        plan.trips += me.sleep(wake, morning_trips, restless)
        day = Awake(me, persona, rng, factor, _stills(rng, wake, bed, factor))
        bed = _awake_day(plan, home, day, bed, decline, weekend)
        if not plan.nights_away:  # (the incidents carry a night away into the next day)
            plan.bedtime = bed
            me.go("bedroom", bed, 0.6)
            me.act(bed, "bed", codes.BED, 1.0)
            plan.trips += me.sleep(plan.end, evening_trips, restless)
    if persona.couple:
        plan.others.append(_partner(home, plan, rng))
    for index in range(persona.carer_visits):
        carer(plan, rng, midnight + (8.0, 12.0, 17.5)[index] * HOUR)
    if rng.random() < (persona.family_visit_p if weekend else persona.family_visit_p / 6):
        family(plan, rng, midnight + rng.uniform(10.5, 15.5) * HOUR)
    return plan


@dataclass(slots=True)
class Awake:
    """What shapes one awake day: the person, the day's activity factor, still periods."""

    me: Track
    persona: Persona
    rng: random.Random
    factor: float  # the day's activity factor (log-normal around 1)
    stills: list[tuple[float, float]]  # (not before, minutes) still periods still to come


def _stills(
    rng: random.Random, wake: float, bed: float, factor: float
) -> list[tuple[float, float]]:
    """Dozing or sitting still in front of the TV: 1–3 a day, more on a slow day."""
    count = rng.choice(STILL_COUNTS) + (1 if factor < 0.75 else 0)
    spells = []
    for _ in range(count):
        minutes = min(max(rng.lognormvariate(math.log(STILL_MEDIAN_MIN), STILL_SIGMA), 10), 240)
        spells.append((rng.uniform(wake + 1.5 * HOUR, bed - 1.0 * HOUR), minutes))
    return sorted(spells)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _awake_day(  # noqa: PLR0917 - internal, called in one place
    plan: DayPlan,
    home: Home,
    day: Awake,
    bed: float,
    decline: float,
    weekend: bool,
) -> float:
    """From getting up to bedtime (or leaving for a night away); returns the bedtime."""
    persona, me, rng = home.persona, day.me, day.rng
    midnight = plan.start - 3 * HOUR
    summer = local_date(plan.start).month in (5, 6, 7, 8, 9)
    me.act(plan.wake, "bed", codes.BED, 0.0)
    me.stay("bedroom", me.minutes(3, 9), 0.8)
    me.bathroom(me.minutes(6, 13))
    me.water(me.cursor, rng.uniform(1.5, 4), bathroom=True)
    _meal(day, breakfast=True)
    if rng.random() < persona.checkin_p:
        me.act(me.cursor + rng.uniform(1, 40) * MIN, "sos", codes.CHECKIN)
    if "wear" in home.roles and rng.random() < 0.85:
        plan.wear = (me.cursor, bed - 20 * MIN)
    if plan.day_out is not None:
        leave, back = plan.day_out
        _fill(day, max(me.cursor + 5 * MIN, leave))
        _outing(plan, day, back)
        if me.cursor < midnight + 19.5 * HOUR:
            _meal(day)
        return _evening(plan, day, bed, 0.0, summer)
    lunch = midnight + rng.gauss(11.6, 0.6) * HOUR
    outing_p = persona.outing_p * decline * (0.75 if weekend else 1.0) * min(1.0, day.factor)
    if rng.random() < outing_p:
        leave = max(me.cursor + 5 * MIN, midnight + rng.gauss(8.3, 1.1) * HOUR)
        if leave < lunch - 45 * MIN:
            _fill(day, leave)
            back = leave + rng.uniform(1.0, 3.5) * HOUR * (0.6 + 0.4 * persona.mobility)
            _outing(plan, day, min(back, lunch - 5 * MIN))
            me.stay("kitchen", me.minutes(3, 8), 0.9)
    _fill(day, lunch)
    _meal(day)
    if rng.random() < persona.nap_p + (0.1 if summer else 0.0):
        nap = max(me.cursor + 10 * MIN, midnight + rng.gauss(13.2, 0.6) * HOUR)
        _fill(day, nap)
        me.act(nap, "bed", codes.BED, 1.0)
        me.go("bedroom", nap + rng.uniform(35, 100) * MIN, 0.04)
        me.act(me.cursor, "bed", codes.BED, 0.0)
    if plan.night_leave is not None:
        _fill(day, plan.night_leave)
        _night_away(plan, day)
        return bed
    if rng.random() < persona.afternoon_out_p * decline and me.cursor < midnight + 15 * HOUR:
        leave = midnight + rng.uniform(14.5, 16.5) * HOUR
        _fill(day, leave)
        _outing(plan, day, leave + rng.uniform(0.75, 2.0) * HOUR)
    _fill(day, midnight + rng.gauss(17.8, 0.7) * HOUR)
    _meal(day)
    return _evening(plan, day, bed, outing_p, summer)


def _evening(plan: DayPlan, day: Awake, bed: float, outing_p: float, summer: bool) -> float:
    """After dinner: perhaps out again, TV, a shower, bed (earlier on a slow day)."""
    me, rng = day.me, day.rng
    midnight = plan.start - 3 * HOUR
    if rng.random() < EVENING_OUT_P * outing_p:
        leave = max(me.cursor + 5 * MIN, midnight + rng.uniform(18.0, 20.0) * HOUR)
        _fill(day, leave)
        _outing(
            plan, day, leave + rng.uniform(1.0, 2.5) * HOUR * (0.6 + 0.4 * day.persona.mobility)
        )
        bed = max(bed, me.cursor + 50 * MIN)
    if day.factor < 1.0:  # a slow day ends early
        bed = max(me.cursor + 30 * MIN, bed - (1.0 - day.factor) * 2.0 * HOUR)
    shower_at = bed - rng.uniform(45, 80) * MIN
    _fill(day, shower_at, tv=True)
    if (summer or rng.random() < 0.55) and rng.random() < day.factor:
        me.stay("bathroom", me.minutes(12, 22), 0.7)
        me.water(me.cursor, rng.uniform(30, 48), bathroom=True)
    _fill(day, bed - 8 * MIN, tv=True)
    return max(bed, me.cursor)


def _outing(plan: DayPlan, day: Awake, back: float) -> None:
    leave = day.me.cursor
    day.me.go_out(max(back, leave + 20 * MIN))
    plan.outings.append((leave, day.me.cursor))


def _night_away(plan: DayPlan, day: Awake) -> None:
    """Off to a child's home for the night: back the next day between 09:00 and 17:00."""
    me = day.me
    me.stay("entrance", me.minutes(0.5, 2), 1.0)
    leave = me.cursor
    me.door(leave)
    me.go("away", plan.end, 0.0, "night_away")
    back = plan.end - 3 * HOUR + day.rng.uniform(9.0, 17.0) * HOUR
    plan.nights_away.append((leave, back))
    plan.outings.append((leave, plan.end))
    plan.wear = None if plan.wear is None else (plan.wear[0], leave)


def _meal(day: Awake, breakfast: bool = False) -> None:
    """Cook (or heat up what the carer left), eat, wash up."""
    me, persona, rng = day.me, day.persona, day.rng
    cook = me.minutes(8, 18) if breakfast else me.minutes(20, 40)
    if not persona.cooks:
        cook = me.minutes(4, 9)
    start = me.cursor
    me.stay("kitchen", cook, 0.9)
    if rng.random() < day.factor:  # on a slow day, no tea: yesterday's leftovers cold
        me.kettle(start + rng.uniform(1, 4) * MIN)
    for _ in range(_poisson(rng, (0.8 if breakfast else 1.5) * day.factor)):
        me.cupboard(start + rng.uniform(0.5, 0.9) * cook * MIN)
    if persona.cooks and not breakfast and rng.random() < day.factor:
        me.rice_cooker(start + rng.uniform(2, 6) * MIN, rng.uniform(25, 35))
    me.water(start + cook * MIN * 0.6, rng.uniform(2, 6))
    me.stay("living_room" if rng.random() < 0.6 else "kitchen", me.minutes(12, 25), 0.3)
    if not breakfast:
        me.stay("kitchen", me.minutes(5, 10), 0.8)
        me.water(me.cursor, rng.uniform(4, 9))


def _fill(day: Awake, until: float, tv: bool = False) -> None:
    """Free time until ``until``: sitting, TV, chores, still periods, and a bathroom visit
    every few hours. In the evening (``tv``) the TV stays on throughout."""
    me, rng = day.me, day.rng
    since_bathroom, every = 0.0, rng.uniform(100, 200) / day.factor
    chores = min(0.5, 0.25 * day.persona.mobility * day.factor)
    began = me.cursor
    while me.cursor < until - 2 * MIN:
        start = me.cursor
        if day.stills and start >= day.stills[0][0]:
            minutes = day.stills.pop(0)[1]
            me.go("living_room", min(until, start + minutes * MIN), DOZE_RATE, "doze")
            if not tv and rng.random() < 0.4:
                me.tv(start, me.cursor)
        elif since_bathroom > every:
            me.bathroom(me.minutes(3, 7))
            since_bathroom, every = 0.0, rng.uniform(100, 200) / day.factor
            continue
        elif tv or rng.random() < 1.0 - chores:
            me.go("living_room", min(until, start + me.minutes(25, 70) * MIN), 0.15)
            if not tv and rng.random() < 0.4 * day.factor:
                me.tv(start, me.cursor)
        else:
            room = rng.choice(("kitchen", "bedroom", "living_room", "kitchen"))
            me.go(room, min(until, start + me.minutes(8, 30) * MIN), 0.8)
            if room == "kitchen":
                # Only within the stay: one cut short by what comes next (going out) must
                # not switch the kettle on after the entrance door.
                cupboard = start + rng.uniform(1, 6) * MIN
                if cupboard < me.cursor:
                    me.cupboard(cupboard)
                if rng.random() < 0.3 * day.factor:
                    kettle = start + rng.uniform(1, 4) * MIN
                    if kettle < me.cursor:
                        me.kettle(kettle)
        since_bathroom += (me.cursor - start) / MIN
    if tv:
        me.tv(began, me.cursor)


def _bed_bound_day(plan: DayPlan, wake: float, bed: float, restless: float) -> None:
    """In bed nearly all day; the carer sits them up in the living room for a while."""
    me, rng = plan.me, plan.me.rng
    me.go("bedroom", wake, 0.02 * restless, "sleep")
    me.go("bedroom", plan.start + 9.5 * HOUR + rng.uniform(-0.5, 0.5) * HOUR, 0.06)
    up = me.cursor
    me.act(up, "bed", codes.BED, 0.0)
    me.go("living_room", up + rng.uniform(1.0, 2.0) * HOUR, 0.08)
    me.go("bedroom", me.cursor + 2 * MIN, 0.5)
    me.act(me.cursor, "bed", codes.BED, 1.0)
    me.go("bedroom", bed, 0.05)
    me.go("bedroom", plan.end, 0.02 * restless, "sleep")


def _partner(home: Home, plan: DayPlan, rng: random.Random) -> Track:
    """The other half of a couple: out with the elder, or (dependent) sitting at home."""
    pirs = {role: device for role, device in home.roles.items() if role.startswith("pir:")}
    dependent = home.persona.partner_dependent
    # Only motion: the partner's appliance use would double the elder's.
    partner = Track(pirs, rng, scale=0.25 if dependent else 0.9, cursor=plan.start)
    partner.sees_bed = home.sees_bed
    sleeping = SLEEP_RATE if home.sees_bed else 0.0
    partner.go("bedroom", plan.wake + rng.uniform(-20, 40) * MIN, sleeping, "sleep")
    day = Awake(partner, home.persona, rng, 1.0, [])
    bedtime = plan.bedtime + rng.uniform(-20, 30) * MIN
    for leave, back in [] if dependent else plan.outings:
        if leave > partner.cursor:
            _fill(day, leave)
            partner.go("away", back, 0.0)
    while partner.cursor < bedtime - 5 * MIN:
        if dependent:
            partner.go("living_room", min(bedtime, partner.cursor + 3 * HOUR), 0.3)
            partner.stay("bathroom", partner.minutes(4, 9), 0.6)
        else:
            _fill(day, bedtime)
    partner.go("bedroom", plan.end, sleeping, "sleep")
    return partner
