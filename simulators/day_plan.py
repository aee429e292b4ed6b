"""What a plan day holds (``DayPlan``: the elder's track and the others', the day's hours,
outings, visits, and what incidents laid over it) and what a household carries into the
next day (``HomeState``). ``routine.plan_day`` draws a normal day into one; the incidents,
the prompts and the expansion into events read and amend it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

from simulators.clock import DAY
from simulators.track import MIN, Point, Seg, Track


@dataclass(slots=True)
class HomeState:
    """What a household carries from one day into the next."""

    absent_until: float = 0.0  # in hospital / not back home
    still_until: float = 0.0  # lying on the floor or ill in bed, found at this time
    still_room: str = "bedroom"
    decline_start: float | None = None

    def decline(self, t: float) -> float:
        """1.0 when well; falls to 0.55 over a week once a decline has begun."""
        if self.decline_start is None or t < self.decline_start:
            return 1.0
        return max(0.55, 1.0 - 0.065 * (t - self.decline_start) / DAY)


# Where the elder is when nothing can be asked of them (``DayPlan.busy``): asleep, dozing,
# out, in hospital, lying helpless, lost.
CANNOT_PRESS: Final = frozenset(
    {"away", "still", "sleep", "hospital", "missing", "night_away", "doze"}
)


@dataclass(slots=True)
class DayPlan:
    home: int
    start: float
    end: float
    me: Track  # the elder on file
    others: list[Track] = field(default_factory=list)  # partner, carers, family
    wake: float = math.nan
    bedtime: float = math.nan
    trips: int = 0
    outings: list[tuple[float, float]] = field(default_factory=list)
    visits: list[tuple[float, float]] = field(default_factory=list)
    wear: tuple[float, float] | None = None  # wearable worn from, to
    heat: tuple[float, float, float] | None = None  # start, end, peak °C
    vitals: tuple[float, float, float] | None = None  # start, end, heart rate (bpm)
    night_leave: float | None = None  # leaves in the afternoon to spend the night away
    day_out: tuple[float, float] | None = None  # a day out: leaves after breakfast, back
    nights_away: list[tuple[float, float]] = field(default_factory=list)  # (left, back)
    hospital: list[tuple[float, float]] = field(default_factory=list)  # (taken, back)
    truth: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Any] = field(default_factory=list)  # device_faults.Fault

    def segs(self) -> list[Seg]:
        return self.me.segs + [s for track in self.others for s in track.segs]

    def points(self) -> list[Point]:
        return self.me.points + [p for track in self.others for p in track.points]

    def away(self) -> list[tuple[float, float]]:
        """Ordinary outings and nights away (not incidents): context that must raise no
        alert."""
        outings = [(a, b) for a, b, room in self.me.where if room == "away" and b - a >= 10 * MIN]
        return outings + self.nights_away

    def attended(self, t: float) -> bool:
        """Someone is visiting at ``t`` (a carer's round, family): a fall or a collapse then
        is seen at once, as with a partner at home — no silence of anyone's."""
        return any(a <= t < b for a, b in self.visits)

    def busy(self) -> list[tuple[float, float]]:
        """When the elder cannot press a button: asleep, out, or unable to move."""
        spans: list[tuple[float, float]] = []
        for a, b, room in sorted(self.me.where):
            if room not in CANNOT_PRESS:
                continue
            if spans and a - spans[-1][1] < 15 * MIN:  # a night trip does not wake them up
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
            else:
                spans.append((a, b))
        return spans
