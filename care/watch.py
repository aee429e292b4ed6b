"""Heightened watch (加密探訪): periods of extreme weather, festivals, disasters or
public-health events during which more visits are required.

Staff declare a period for one town (or, an administrator, for all); during it every elder
on file there needs ``min_visits_per_week`` visits of any method in each week of the period
(counted from its first day; a shorter last week needs a share, rounded up), the due list
shows the visits still to make, and check-in prompts go out daily.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from care.compliance import WatchPeriod
from care.models import ServiceDay, ShortText
from store.text import storable, visible

MAX_DAYS = 366

Reason = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(storable), AfterValidator(visible)
]


class WatchPeriodCreate(BaseModel):
    """``POST /watch-periods``: ``{"town"?, "from", "to", "reason", "min_visits_per_week"}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    town: ShortText | None = None
    starts_on: ServiceDay = Field(alias="from")
    ends_on: ServiceDay = Field(alias="to")
    reason: Reason
    min_visits_per_week: Annotated[int, Field(ge=1, le=21)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("'to' is before 'from'")
        if (self.ends_on - self.starts_on).days >= MAX_DAYS:
            raise ValueError(f"a watch period lasts at most {MAX_DAYS} days")
        return self


class WatchPeriodPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    town: str | None
    starts_on: date = Field(serialization_alias="from")
    ends_on: date = Field(serialization_alias="to")
    reason: str
    min_visits_per_week: int
    created_by: str | None
    created_at: datetime

    def period(self) -> WatchPeriod:
        return WatchPeriod(
            self.id,
            self.town,
            self.starts_on,
            self.ends_on,
            self.reason,
            self.min_visits_per_week,
        )
