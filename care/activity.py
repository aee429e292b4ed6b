"""An elder's recent activity as the console's small timeline: rooms × time slots, the
number of activity events in each (pure; the counts come from ``care.activity_repo``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import BaseModel

# What a person does at home and a device sees: presence, doors, getting into or out of a
# bed or chair, running water, an "I am fine" press. Readings that come on a timer
# (temperature, power, heartbeats) say nothing of the person and are left out.
ACTIVITY_KINDS: Final = ("motion", "door", "bed", "chair", "water", "checkin")
MAX_HOURS: Final = 7 * 24
MIN_SLOT_MINUTES: Final = 5


HOUR: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Window:
    """The hours asked, cut into equal slots: [since, until)."""

    until: datetime
    hours: int
    slot_minutes: int

    @classmethod
    def ending(cls, now: datetime, hours: int, slot_minutes: int) -> Window:
        """The last ``hours`` up to ``now``. Slots of whole hours are clock hours (UTC, the
        rollup's): the window ends with the hour still filling, so that every earlier slot
        is made of whole past hours that ``activity_hourly`` holds."""
        if slot_minutes % 60:
            return cls(now, hours, slot_minutes)
        ends = math.ceil(now.timestamp() / HOUR.total_seconds()) * HOUR.total_seconds()
        return cls(datetime.fromtimestamp(ends, UTC), hours, slot_minutes)

    @property
    def since(self) -> datetime:
        return self.until - timedelta(hours=self.hours)

    @property
    def slots(self) -> int:
        return self.hours * 60 // self.slot_minutes

    @property
    def rolled_until(self) -> datetime:
        """Up to when the counts come from ``activity_hourly`` (from ``since``): the hours
        before the last one when the slots are clock hours; none otherwise (sub-hour
        slots cut hours, and are read from the events)."""
        aligned = not self.slot_minutes % 60 and self.until.timestamp() % HOUR.total_seconds() == 0
        return self.until - HOUR if aligned else self.since


@dataclass(frozen=True, slots=True)
class SlotCount:
    """Events of one room in one slot (``room`` None: a device placed in no room)."""

    room: str | None
    slot: int
    events: int
    last: datetime


class RoomActivity(BaseModel):
    """One room's row: the number of activity events in each slot, oldest first."""

    room: str | None
    counts: list[int]


class Activity(BaseModel):
    """An elder's activity in ``[since, until)``: one row per room that saw any."""

    elder_id: str
    since: datetime
    until: datetime
    slot_minutes: int
    kinds: list[str]
    rooms: list[RoomActivity]
    last_event_at: datetime | None


def timeline(elder_id: str, window: Window, counts: Iterable[SlotCount]) -> Activity:
    """The rows of the rooms that saw activity, in name order (a room without a name
    last), each with a count for every slot."""
    rows: dict[str | None, list[int]] = {}
    last: datetime | None = None
    for count in counts:
        if not 0 <= count.slot < window.slots:
            continue
        rows.setdefault(count.room, [0] * window.slots)[count.slot] += count.events
        last = count.last if last is None else max(last, count.last)
    order = sorted(rows, key=lambda room: (room is None, room or ""))
    return Activity(
        elder_id=elder_id,
        since=window.since,
        until=window.until,
        slot_minutes=window.slot_minutes,
        kinds=list(ACTIVITY_KINDS),
        rooms=[RoomActivity(room=room, counts=rows[room]) for room in order],
        last_event_at=last,
    )
