"""The absences the simulated homes' people declare (contract §2, ``POST
/elders/{id}/absences``), written into homes.json as ``"absences"``: a night at a child's
home is declared by the family most of the time (``DECLARED_P``; the rest nobody tells
anyone about), a hospital stay always, by the on-call who sent the elder there. Declared
times are a person's, not the door's: a night away from up to an hour before leaving to
between an hour early and three hours late; a hospital stay from the rescue to a few hours
after the return.

Drawn from a generator of their own (seeded by the home and the leaving time), so the
events and truth of a seed do not change with them."""

from __future__ import annotations

import random
from typing import Any, Final

from simulators.clock import iso
from simulators.day_plan import DayPlan
from simulators.track import HOUR

DECLARED_P: Final = 0.8
FAMILY: Final = "staying with family"
HOSPITAL: Final = "hospital"


def declared(plan: DayPlan, seed: int) -> list[dict[str, Any]]:
    """The absences declared for what ``plan`` (after its incidents) sends the elder away
    for: ``{"from", "to", "reason"}``."""
    out = []
    for leave, back in plan.nights_away:
        rng = random.Random(f"tanfang-absence:{seed}:{plan.home}:{round(leave)}")
        if rng.random() >= DECLARED_P:
            continue
        start = leave - rng.uniform(0.0, 1.0) * HOUR
        end = max(back + rng.uniform(-1.0, 3.0) * HOUR, leave + HOUR)
        out.append(_record(start, end, FAMILY))
    for gone, back in plan.hospital:
        rng = random.Random(f"tanfang-absence:{seed}:{plan.home}:{round(gone)}")
        out.append(_record(gone, back + rng.uniform(0.0, 6.0) * HOUR, HOSPITAL))
    return out


def _record(start: float, end: float, reason: str) -> dict[str, Any]:
    return {"from": iso(start), "to": iso(end), "reason": reason}
