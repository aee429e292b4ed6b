"""Device faults laid over a simulated day: a device offline, a battery draining, a motion
sensor stuck, a clock skewed, malformed payloads. They change what the devices send, not
what the elder does; only those that should raise an alert write a truth line."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from simulators.clock import DAY
from simulators.day_plan import DayPlan
from simulators.track import HOUR
from simulators.truth import record_truth
from simulators.world import Home

FAULTS: Final = frozenset({"offline", "drain", "stuck", "skew", "malformed"})


@dataclass(slots=True)
class Fault:
    """A device misbehaving from ``start`` to ``end``; applied to the event arrays."""

    kind: str  # offline | drain | stuck | skew | malformed
    device: int
    start: float
    end: float
    param: float = 0.0  # drain: battery % at start; skew: seconds; stuck: interval s
    rate: float = 0.0  # drain: % per day
    raw: list[tuple[float, str]] = field(default_factory=list)


def fault(plan: DayPlan, home: Home, rng: random.Random, at: float | None, kind: str) -> None:
    """A device fault. Truth is written only for what should raise an alert of contract §2:
    ``offline`` and ``stuck`` here (``device_offline``: a sensor firing every minute for
    hours tells nothing, like a silent one), ``drain`` by the generator once it knows the
    battery level (``battery_low``, then ``device_offline``). A skewed clock and malformed
    payloads raise no alert type (they show as flagged events and dead letters), and they
    are not ``away`` (the elder is at home): no truth line."""
    roles = sorted(home.roles)
    if kind == "drain":
        roles = [r for r in roles if not r.startswith(("plug", "gas", "fall"))]
    elif kind == "stuck":
        roles = [r for r in roles if r.startswith("pir:")]
    if not roles:  # a contacts-only kit has no motion sensor to stick
        return
    role = rng.choice(roles)
    device = home.roles[role]
    start = at if at is not None else plan.start + rng.random() * DAY
    if kind == "offline":
        item = Fault(kind, device, start, start + rng.uniform(2, 30) * HOUR)
        record_truth(
            plan, home, "device_offline", start, item.end, [device], note=f"{role} offline"
        )
    elif kind == "drain":  # the battery drains within days
        item = Fault(kind, device, start, start + 9 * DAY, rate=rng.uniform(12, 30))
    elif kind == "stuck":  # a motion sensor fires without anyone there
        item = Fault(kind, device, start, start + rng.uniform(3, 20) * HOUR, rng.uniform(58, 75))
        record_truth(plan, home, "device_offline", start, item.end, [device], note=f"{role} stuck")
    elif kind == "skew":
        shift = rng.choice((rng.uniform(1, 12) * HOUR, -rng.uniform(8, 12) * DAY))
        item = Fault(kind, device, start, start + rng.uniform(6, 48) * HOUR, shift)
    else:  # malformed payloads
        item = Fault(kind, device, start, start)
        times = sorted(start + rng.uniform(0, 4) * HOUR for _ in range(rng.randint(1, 4)))
        item.raw = [(t, rng.choice(GARBAGE)) for t in times]
        item.end = times[-1]
    plan.faults.append(item)


GARBAGE: Final = (
    '{"kind": "motion", "value": 1, "ts": "2026-',
    "\x00\x17\xfe",
    '{"kind": "teleport", "value": 1}',
    '{"kind": "temperature", "value": "hot"}',
    '{"kind": "door", "value": 7}',
    "[]",
    "AT+CSQ\r\n+CSQ: 21,99",
)
