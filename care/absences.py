"""Declared absences (contract §2): the elder is away — in hospital, staying with family —
from ``from`` to ``to``. While one is in force no activity-based alert (inactivity, night
wandering, activity drop, missed check-in) is raised for the elder; emergencies still are.
The detection leader reads them at every sweep (``gateway.detect_repo.absences_now``): a
declared absence takes effect within one sweep and ends by itself at ``to``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from store.text import storable, visible

# Longer than any hospital stay or family visit; a move away is a change of the file.
MAX_DAYS: Final = 366

Reason = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(storable), AfterValidator(visible)
]


class AbsenceCreate(BaseModel):
    """``POST /elders/{id}/absences``: ``{"from", "to", "reason"}`` (times with an offset)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    starts_at: AwareDatetime = Field(alias="from")
    ends_at: AwareDatetime = Field(alias="to")
    reason: Reason

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("'to' must be after 'from'")
        if self.ends_at - self.starts_at > timedelta(days=MAX_DAYS):
            raise ValueError(f"an absence lasts at most {MAX_DAYS} days")
        return self


class Absence(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True, serialize_by_alias=True)

    id: int
    elder_id: str
    starts_at: datetime = Field(serialization_alias="from")
    ends_at: datetime = Field(serialization_alias="to")
    reason: str
    created_by: str | None
    created_at: datetime
