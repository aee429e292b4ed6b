"""The on-call roster: who is on duty when, for which towns (``towns`` None: every town).

A shift covers the half-open interval [``starts_at``, ``ends_at``): at the hand-over
instant the next shift is on duty, not both. What a client sends is ``ShiftCreate``; what
is stored and what the escalator reads (``alerting.oncall_repo.on_duty``) is
``OnCallShift``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from care.models import Name, Phone, ShortText

# A shift longer than a month is more likely a typo (a wrong month or year) than a duty
# anyone holds; a standing arrangement is entered month by month.
MAX_SHIFT: Final = timedelta(days=31)
# Kaiping has sixteen towns; room for a bigger county, and a bound on the registry lookups
# one request makes.
MAX_TOWNS: Final = 50
# The years a roster may name: none before the service, none past the API's other times.
EARLIEST_SHIFT: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_SHIFT: Final = datetime(2200, 1, 1, tzinfo=UTC)


def _in_service_years(value: datetime) -> datetime:
    if not EARLIEST_SHIFT <= value < LATEST_SHIFT:
        raise ValueError("a shift lies between 2000 and 2199")
    return value


# An instant with its offset: a naive time would be read in some zone nobody named.
ShiftTime = Annotated[AwareDatetime, AfterValidator(_in_service_years)]


class ShiftCreate(BaseModel):
    """``POST /on-call``: a person on duty from ``starts_at`` until ``ends_at`` for
    ``towns`` (registered names or aliases; null or left out: every town)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    phone: Phone
    towns: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_TOWNS)] | None = None
    starts_at: ShiftTime
    ends_at: ShiftTime

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is None:  # refused on its own field
            return ends_at
        if ends_at <= starts_at:
            raise ValueError("a shift ends after it starts")
        if ends_at - starts_at > MAX_SHIFT:
            raise ValueError(f"a shift lasts at most {MAX_SHIFT.days} days")
        return ends_at


class OnCallShift(BaseModel):
    """A shift as stored; ``towns`` holds registered names (None: every town)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    name: str
    phone: str
    towns: list[str] | None
    starts_at: datetime
    ends_at: datetime
    created_at: datetime

    def covers(self, at: datetime) -> bool:
        """Whether the shift is on duty at ``at`` (its start included, its end not)."""
        return self.starts_at <= at < self.ends_at
