"""The people who come to an elder's home on a normal day: the carer's rounds (kettle,
bedroom, bathroom) and a family visit of a few hours, each in and out by the entrance
door, each recorded in the day's ``visits`` (``routine.plan_day`` calls them)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from simulators.track import HOUR, MIN, Track

if TYPE_CHECKING:
    from simulators.day_plan import DayPlan


def _visitor(plan: DayPlan, rng: random.Random, arrive: float) -> Track:
    visitor = Track(plan.me.roles, rng, cursor=arrive)
    visitor.door(arrive)
    plan.others.append(visitor)
    return visitor


def carer(plan: DayPlan, rng: random.Random, arrive: float) -> None:
    carer = _visitor(plan, rng, arrive + rng.uniform(-20, 20) * MIN)
    carer.stay("kitchen", carer.minutes(15, 30), 1.0)
    carer.kettle(carer.cursor - 10 * MIN)
    carer.stay("bedroom", carer.minutes(8, 15), 1.0)
    carer.stay("bathroom", carer.minutes(5, 10), 1.0)
    carer.water(carer.cursor, rng.uniform(8, 15))
    carer.stay("living_room", carer.minutes(5, 10), 1.0)
    carer.door(carer.cursor)
    plan.visits.append((arrive, carer.cursor))


def family(plan: DayPlan, rng: random.Random, arrive: float) -> None:
    guest = _visitor(plan, rng, arrive)
    leave = arrive + rng.uniform(1.5, 3.5) * HOUR
    while guest.cursor < leave:
        guest.stay(
            rng.choice(("living_room", "living_room", "kitchen")), guest.minutes(10, 40), 1.2
        )
    guest.door(guest.cursor)
    plan.visits.append((arrive, guest.cursor))
