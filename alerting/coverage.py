"""No silent gaps: the holes in the escalation paths, as ``GET /alerts/coverage`` answers
them, and the interval arithmetic of the on-call roster (pure).

An escalation reaches the on-call on duty for the elder's town, the elder's contacts and
the town's duty contact (docs/alerting.md#escalation). Each can be missing: an elder
without a contact that has a usable phone, a contact whose phone cannot be called, hours of
the coming week when nobody is on duty for a town, a town without a duty phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, Field

from alerting.oncall import OnCallShift

# How far ahead the roster is checked: a week, so that a gap is seen while there is time to
# fill it (rosters are made week by week).
HORIZON: Final = timedelta(days=7)
SECONDS_PER_HOUR: Final = 3600
# Hours are answered to the minute's hundredth of an hour: enough to read, exact enough to add.
HOURS_DECIMALS: Final = 2


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open stretch of time [``start``, ``end``)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def uncovered(start: datetime, end: datetime, covered: Iterable[Span]) -> list[Span]:
    """The parts of [``start``, ``end``) that no span of ``covered`` covers: in order,
    disjoint, merged (two gaps never touch), each non-empty. Spans reaching outside the
    window count only for their part inside it; empty or reversed spans cover nothing."""
    inside = sorted(
        Span(max(s.start, start), min(s.end, end))
        for s in covered
        if s.start < s.end and s.start < end and s.end > start
    )
    gaps: list[Span] = []
    cursor = start
    for span in inside:
        if span.start > cursor:
            gaps.append(Span(cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < end:
        gaps.append(Span(cursor, end))
    return gaps


def covers_town(shift: OnCallShift, town: str) -> bool:
    """Whether ``shift`` is on duty for ``town``: a shift of every town, or one naming it
    (the rule of ``alerting.oncall_repo.on_duty``)."""
    return shift.towns is None or town in shift.towns


def town_gaps(
    start: datetime, end: datetime, shifts: Iterable[OnCallShift], town: str
) -> list[Span]:
    """When nobody is on duty for ``town`` within [``start``, ``end``)."""
    spans = (Span(s.starts_at, s.ends_at) for s in shifts if covers_town(s, town))
    return uncovered(start, end, spans)


def hours(seconds: float) -> float:
    return round(seconds / SECONDS_PER_HOUR, HOURS_DECIMALS)


class UncoveredSpan(BaseModel):
    """A stretch of time nobody is on duty for the town."""

    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    hours: float


class ElderWithoutContacts(BaseModel):
    """An elder whose ``contacts`` steps reach nobody: no contact on file (``contacts`` 0),
    or none of them with a usable phone."""

    elder_id: str
    town: str | None
    contacts: int


class ContactWithoutPhone(BaseModel):
    """An emergency contact whose phone cannot be called (too few digits, one digit
    repeated, a run such as 12345678)."""

    contact_id: int
    elder_id: str
    town: str | None
    relation: str
    phone: str


class TownUncovered(BaseModel):
    """A town with elders and hours of the horizon with nobody on duty for it."""

    town: str
    elders: int
    uncovered: list[UncoveredSpan]
    hours: float


class DutyProblem(StrEnum):
    NO_DUTY_PHONE = "no_duty_phone"
    UNUSABLE_DUTY_PHONE = "unusable_duty_phone"
    UNREGISTERED_TOWN = "unregistered_town"


class TownWithoutDuty(BaseModel):
    """A town with elders whose ``town`` step reaches nobody."""

    town: str
    elders: int
    reason: DutyProblem


class CoverageCounts(BaseModel):
    """How many of each hole there are (the lists may be cut at ``limit``)."""

    elders_without_contacts: int
    contacts_without_phone: int
    towns_uncovered: int
    towns_without_duty_contact: int


class Coverage(BaseModel):
    """The holes in the escalation paths of every elder on file (of ``town``, when the
    answer is about one town). ``truncated``: some list holds only its first ``limit``
    entries; ``counts`` has them all."""

    generated_at: datetime
    horizon_hours: int
    town: str | None
    counts: CoverageCounts
    elders_without_contacts: list[ElderWithoutContacts]
    contacts_without_phone: list[ContactWithoutPhone]
    towns_uncovered: list[TownUncovered]
    towns_without_duty_contact: list[TownWithoutDuty]
    truncated: bool
