"""The detection's clock: the wall clock, or a simulated one that a rig or a replay runs on.

Silence is measured on a clock, not by messages: a home that went quiet at 09:42 is
inactive at 12:52 *of the clock the detectors read*. In a deployment that is the wall
clock. A simulated home published at ``speed`` × real time (``tanfang-sim``'s live run,
the speed-600 end-to-end test) lives on simulated time, so the detection there reads the
same simulated time: ``TANFANG_DETECT_CLOCK="START,WALL,SPEED"`` says that the simulated
instant ``START`` (ISO 8601 with an offset) was the wall clock's ``WALL`` (epoch seconds)
and that simulated time runs ``SPEED`` times as fast from there.

Only the detection reads it. Ingest still stamps receipts and judges device clocks on the
wall clock, so a simulation must stay *behind* it (start it in the past; events ahead of
the wall clock by more than five minutes are stored at their receipt, flagged
``clock_skew``); alerts open at the simulated time, already due for the escalator. The
wall-clock times the detection reads from the database (receipts, gateways' starts) are
carried onto the simulated clock by ``of_wall``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Final, overload

from gateway.detectors.events import Floats


class ClockError(ValueError):
    """A ``TANFANG_DETECT_CLOCK`` that cannot be read; the message says what it expects."""


FORMAT: Final = "START,WALL,SPEED (e.g. 2026-11-30T08:00:00+08:00,1764540000,600)"


@dataclass(frozen=True, slots=True)
class DetectClock:
    """``start`` (simulated epoch s) was the wall clock's ``wall``; ``speed`` simulated
    seconds pass per wall second. ``start`` None: the wall clock itself."""

    start: float | None = None
    wall: float = 0.0
    speed: float = 1.0

    @property
    def simulated(self) -> bool:
        return self.start is not None

    def now(self) -> float:
        return self.of_wall(time.time())

    @overload
    def of_wall(self, t: float) -> float: ...
    @overload
    def of_wall(self, t: Floats) -> Floats: ...
    def of_wall(self, t: float | Floats) -> float | Floats:
        """A wall-clock time on this clock."""
        if self.start is None:
            return t
        return self.start + (t - self.wall) * self.speed

    def to_wall(self, t: float) -> float:
        """A time of this clock on the wall clock."""
        if self.start is None:
            return t
        return self.wall + (t - self.start) / self.speed

    def describe(self) -> str:
        if self.start is None:
            return "the wall clock"
        start = datetime.fromtimestamp(self.start).astimezone().isoformat(timespec="seconds")
        return f"a simulated clock: {start} at wall {self.wall:.3f}, ×{self.speed:g}"


WALL: Final = DetectClock()


def parse_clock(text: str | None) -> DetectClock:
    """``None`` or blank: the wall clock; else ``START,WALL,SPEED`` (``FORMAT``)."""
    if text is None or not text.strip():
        return WALL
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise ClockError(f"expected {FORMAT}, got {len(parts)} part(s)")
    try:
        start = datetime.fromisoformat(parts[0])
    except ValueError:
        raise ClockError(
            f"START is not an ISO 8601 time: {parts[0]!r}; expected {FORMAT}"
        ) from None
    if start.tzinfo is None:
        raise ClockError(f"START needs an offset (which clock would it be?): {parts[0]!r}")
    try:
        wall, speed = float(parts[1]), float(parts[2])
    except ValueError:
        raise ClockError(f"WALL and SPEED are numbers; expected {FORMAT}") from None
    if not math.isfinite(wall) or wall < 0:
        raise ClockError(f"WALL is epoch seconds, not {parts[1]!r}")
    if not math.isfinite(speed) or speed <= 0:
        raise ClockError(f"SPEED is a positive number, not {parts[2]!r}")
    return DetectClock(start.timestamp(), wall, speed)
