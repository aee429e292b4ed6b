"""Incidents of the elder's health that the older kinds did not cover, each with its truth:
a wearable's heart rate out of range, a long stay in the bathroom, a late wake-up.

The last two are ``inactivity`` in truth (contract §2 has no type of their own) with a
``subtype`` field (``bathroom_dwell``, ``late_wakeup``), which the contract's "extend
freely" allows and evaluation ignores."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Final

from simulators import codes
from simulators.day_plan import DayPlan, HomeState
from simulators.routine import usual_wake
from simulators.track import HOUR, MIN, blank, room_at
from simulators.truth import record_truth
from simulators.world import Home

Handler = Callable[[DayPlan, Home, HomeState, random.Random, float | None], None]


def vitals(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    """The wearable reads outside 40–130 bpm for 40–120 min (an arrhythmia, a faint)."""
    if plan.wear is None or "wear" not in home.roles:
        return
    a, b = plan.wear
    start = at if at is not None else a + rng.random() * max(0.0, b - a - 2 * HOUR)
    end = min(start + rng.uniform(40, 120) * MIN, b)
    if end - start < 30 * MIN:
        return
    bpm = rng.uniform(135, 165) if rng.random() < 0.6 else rng.uniform(30, 38)
    plan.vitals = (start, end, bpm)
    note = "heart racing" if bpm > 100 else "heart rate very low"
    record_truth(
        plan, home, "abnormal_vitals", start, end, [home.roles["wear"]], note=f"{note}, worn band"
    )


def dwell(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    """In the bathroom for 1–2.5 h (dizzy on the toilet, cannot get up), then out. Only
    for an elder living alone, and not while someone visits: a partner or a visitor finds
    them within minutes, as after a fall (``incidents.fall``), which is no inactivity."""
    if home.occupants > 1:
        return
    spans = [(a, b) for a, b, r in plan.me.where if r == "bathroom" and b - a > MIN]
    if at is None and not spans:
        return
    t = at if at is not None else rng.choice(spans)[0]
    if room_at(plan.me, t) != "bathroom" or plan.attended(t):
        return
    end = min(t + rng.uniform(60, 150) * MIN, plan.end)
    blank(plan.me, t, end, "still")
    if "pir:bathroom" in home.roles:
        # Walking in is seen, as on any other visit (the blank above took that firing too).
        plan.me.points.append((round(t + 2.0, 3), home.roles["pir:bathroom"], codes.MOTION, 1.0))
        plan.me.segs.append((t, end, home.roles["pir:bathroom"], 0.01))
    record_truth(plan, home, "inactivity", t, end, note="stayed in the bathroom, unable to get up")
    plan.truth[-1]["subtype"] = "bathroom_dwell"


def late_wake(
    plan: DayPlan, home: Home, state: HomeState, rng: random.Random, at: float | None
) -> None:
    """Still in bed 2–4 h past the usual hour (unwell, then gets up as usual).

    Past the elder's *usual* hour (``routine.usual_wake``), not past the hour this day's
    draw would have had them up: a day drawn an hour early that ends two hours later is an
    hour late, which nobody (no carer, no rule) would call an incident. The incident begins
    when staying in bed stops being ordinary: the later of the usual hour and the day's."""
    if math.isnan(plan.wake) or room_at(plan.me, plan.wake - MIN) != "sleep":
        return
    usual = usual_wake(home, plan.start)
    late = usual + rng.uniform(2.0, 4.0) * HOUR
    begin = max(plan.wake, usual)
    if late - begin < HOUR or any(a < late for a, _ in plan.visits) or home.occupants > 1:
        return
    blank(plan.me, plan.wake, late, "still")
    if room_at(plan.me, late) in ("away", "night_away"):
        # The day had them out by now and the blank took the door they left by: up late,
        # they go straight out (else the home hears nobody leave, and the elder is "away").
        plan.me.door(late)
    record_truth(plan, home, "inactivity", begin, late, note="did not get up at the usual hour")
    plan.truth[-1]["subtype"] = "late_wakeup"


HEALTH: Final[dict[str, Handler]] = {"vitals": vitals, "dwell": dwell, "late_wake": late_wake}
