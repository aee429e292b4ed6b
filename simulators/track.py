"""One person's day as room stays (which drive the motion sensors) and actions (door, bed,
appliances, button presses), built forward in time with a cursor."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from simulators import codes

NAN = math.nan
MIN = 60.0
HOUR = 3600.0
# PIR firings per minute of a sleeper turning over, when the bedroom sensor sees the bed:
# a few a night, more for restless sleepers (× restless).
SLEEP_RATE = 0.008
# A room's sensor sees someone walk in. For a stay at this rate or more, the expander's
# first firing is the walk-in; for a quieter one (sitting down to doze, back to bed from
# the toilet) ``Track.go`` adds it, else the last room seen would be the one before.
WALK_IN_RATE = 0.2  # (firings per minute, the stay's own: rate × scale)

# A room stay: (start, end, motion sensor device index, PIR firings per minute).
Seg = tuple[float, float, int, float]
# An action: (time, device index, kind code, value or NaN).
Point = tuple[float, int, int, float]


@dataclass(slots=True)
class Track:
    roles: dict[str, int]
    rng: random.Random
    scale: float = 1.0  # how much this person moves (persona, decline)
    cursor: float = 0.0
    room: str = "bedroom"
    sees_bed: bool = True  # the bedroom motion sensor can see the bed
    segs: list[Seg] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    # Where the person was, for incidents and plots: (start, end, room); room "away" = out.
    where: list[tuple[float, float, str]] = field(default_factory=list)

    def go(self, room: str, until: float, rate: float, label: str | None = None) -> None:
        """Stay in ``room`` from the cursor until ``until``, moving ``rate`` per minute."""
        if until <= self.cursor:
            return
        device = self.roles.get("pir:" + room)
        if device is not None and rate > 0 and room != "away":
            self.segs.append((self.cursor, until, device, rate * self.scale))
            if room != self.room and rate * self.scale < WALK_IN_RATE:
                walk_in = round(self.cursor + self.rng.uniform(0.5, 8.0), 3)
                self.points.append((walk_in, device, codes.MOTION, 1.0))
        self.where.append((self.cursor, until, label or room))
        self.cursor = until
        self.room = room

    def stay(self, room: str, minutes: float, rate: float) -> None:
        self.go(room, self.cursor + minutes * MIN, rate)

    def act(self, t: float, role: str, kind: int, value: float = NAN) -> None:
        device = self.roles.get(role)
        if device is not None:
            self.points.append((round(t, 3), device, kind, value))

    def minutes(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    # --- small routines shared by every persona ---------------------------------------

    def door(self, t: float) -> None:
        self.act(t, "door", codes.DOOR, 1.0)
        self.act(t + self.rng.uniform(4.0, 20.0), "door", codes.DOOR, 0.0)

    def water(self, t: float, litres: float, *, bathroom: bool = False) -> None:
        """Water drawn: on the home's meter, or on its toilet's where that is all it has
        (the contacts kit: a tap in the kitchen is not heard there)."""
        toilet = bathroom and "water:toilet" in self.roles
        self.act(t, "water:toilet" if toilet else "water", codes.WATER, round(max(0.1, litres), 1))

    def kettle(self, t: float) -> None:
        self.act(t, "plug:kettle", codes.POWER, float(round(self.rng.gauss(1850, 60))))
        self.act(t + self.rng.uniform(140, 240), "plug:kettle", codes.POWER, 0.0)

    def rice_cooker(self, t: float, minutes: float) -> None:
        self.act(t, "plug:kettle", codes.POWER, float(round(self.rng.gauss(650, 25))))
        warm = t + minutes * MIN
        self.act(warm, "plug:kettle", codes.POWER, float(round(self.rng.uniform(38, 52))))
        self.act(warm + self.rng.uniform(20, 45) * MIN, "plug:kettle", codes.POWER, 0.0)

    def tv(self, start: float, end: float) -> None:
        if "plug:tv" not in self.roles or end - start < 5 * MIN:
            return
        base = self.rng.uniform(80, 120)
        t = start
        while t < end:  # smart plugs report every 15 min while a load draws power
            self.act(t, "plug:tv", codes.POWER, round(base + self.rng.uniform(-3, 3), 1))
            t += 15 * MIN + self.rng.uniform(-5, 5)
        self.act(end, "plug:tv", codes.POWER, 0.5)

    def cupboard(self, t: float) -> None:
        """A kitchen cupboard opened and closed (a contact in contacts-only kits)."""
        self.act(t, "contact:cupboard", codes.DOOR, 1.0)
        self.act(t + self.rng.uniform(5.0, 60.0), "contact:cupboard", codes.DOOR, 0.0)

    def bathroom(self, minutes: float, flush: bool = True) -> None:
        self.stay("bathroom", minutes, 0.9)
        if flush:
            at = self.cursor - self.rng.uniform(5, 40)
            self.water(at, self.rng.uniform(4.5, 6.5), bathroom=True)

    def go_out(self, until: float) -> None:
        """Leave through the entrance now, come back at ``until``."""
        self.stay("entrance", self.minutes(0.5, 2), 1.0)
        self.door(self.cursor)
        self.go("away", until, 0.0)
        self.door(self.cursor)
        self.stay("entrance", self.minutes(0.5, 2), 1.0)

    def sleep(self, until: float, trips: int, restless: float) -> int:
        """In bed until ``until`` with ``trips`` bathroom trips; returns the trips made."""
        span = until - self.cursor - 40 * MIN
        rate = SLEEP_RATE * restless if self.sees_bed else 0.0
        if span <= 0:
            self.go("bedroom", until, rate, "sleep")
            return 0
        times = sorted(self.cursor + 20 * MIN + self.rng.random() * span for _ in range(trips))
        made = 0
        for when in times:
            if when <= self.cursor + 5 * MIN:
                continue
            self.go("bedroom", when, rate, "sleep")
            self.act(when, "bed", codes.BED, 0.0)
            self.stay("bedroom", self.minutes(0.3, 1.2), 0.8)
            self.bathroom(self.minutes(2.5, 7))
            self.stay("bedroom", self.minutes(0.5, 1.5), 0.8)
            self.act(self.cursor, "bed", codes.BED, 1.0)
            made += 1
        self.go("bedroom", until, rate, "sleep")
        return made


def blank(track: Track, t0: float, t1: float, label: str) -> None:
    """The person is not doing their usual things from ``t0`` to ``t1``."""
    segs = []
    for a, b, device, rate in track.segs:
        if b <= t0 or a >= t1:
            segs.append((a, b, device, rate))
            continue
        if a < t0:
            segs.append((a, t0, device, rate))
        if b > t1:
            segs.append((t1, b, device, rate))
    track.segs = segs
    track.points = [p for p in track.points if not t0 <= p[0] < t1]
    where = [w for w in track.where if w[1] <= t0 or w[0] >= t1]
    where += [(a, t0, r) for a, b, r in track.where if a < t0 < b]
    where += [(t1, b, r) for a, b, r in track.where if a < t1 < b]
    where.append((t0, t1, label))
    track.where = sorted(where)


def room_at(track: Track, t: float) -> str | None:
    for a, b, room in track.where:
        if a <= t < b:
            return room
    return None
