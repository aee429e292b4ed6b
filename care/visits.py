"""Visits (探訪關愛服務記錄表): what a client sends, what is stored and shown.

A visit says who visited, how (in-home, phone, video, online), what was found, and whether
something must follow: a referral to a social worker or a counsellor, or a risk in the home
to fix. A paper form may be typed in later (back-dated) but a visit cannot lie in the
future. Online visits made by Ping An Tong check-ins carry their source device and event
time (care.online_visits).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    computed_field,
)

from care.models import ElderId, Name
from care.month import EARLIEST_YEAR
from store.text import storable

# A phone's clock a little ahead of the server's is not "the future".
FUTURE_SLACK: Final = timedelta(minutes=5)

# No visit of the service predates 2000 (care.month.EARLIEST_YEAR); the upper bound is
# now + FUTURE_SLACK, checked by the use case with its clock.
EARLIEST_VISIT: Final = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)


def _not_before_service(value: datetime) -> datetime:
    if value < EARLIEST_VISIT:
        raise ValueError(f"a visit cannot predate {EARLIEST_YEAR}")
    return value


VisitTime = Annotated[AwareDatetime, AfterValidator(_not_before_service)]
Notes = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(storable)]


class Method(StrEnum):
    IN_HOME = "in_home"  # 上門入戶
    PHONE = "phone"  # 電話
    VIDEO = "video"  # 視頻
    ONLINE = "online"  # 線上探訪 (遠程監測)


class FollowUp(StrEnum):
    SOCIAL_WORKER = "social_worker"  # refer to a social worker
    COUNSELLOR = "counsellor"  # refer to a counsellor
    RISK = "risk"  # a home-safety risk to fix


METHOD_ZH: Final = {
    "in_home": "上門入戶",
    "phone": "電話",
    "video": "視頻",
    "online": "線上探訪",
}


class VisitCreate(BaseModel):
    """``POST /visits``: the contract's fields plus the visit record form's follow-up."""

    model_config = ConfigDict(use_enum_values=True, extra="forbid")

    elder_id: ElderId
    method: Method
    visited_at: VisitTime
    visitor: Name
    findings: Notes | None = None
    refused: StrictBool = False
    follow_up: list[FollowUp] = Field(default_factory=list, max_length=3)
    follow_up_notes: Notes | None = None

    def in_future(self, now: datetime) -> bool:
        return self.visited_at > now + FUTURE_SLACK


class Evidence(BaseModel):
    """A Ping An Tong press behind an online visit: which device, when it was pressed."""

    device_id: str
    event_ts: datetime


class Visit(BaseModel):
    """A stored visit, as every list shows it (with its source)."""

    model_config = ConfigDict(extra="ignore")

    id: int
    elder_id: str
    method: str
    visited_at: datetime
    visitor: str | None
    findings: str | None
    refused: bool
    follow_up: list[str]
    follow_up_notes: str | None
    source: str
    source_device_id: str | None
    source_event_ts: datetime | None
    recorded_by: str | None
    recorded_at: datetime
    evidence: list[Evidence] | None = None
    """For an online visit made by check-ins (``source: "checkin"``), in the elder's visit
    list: every press of that day, the first being the visit's source. Null elsewhere (not
    looked up, or not a check-in visit)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def follow_up_needed(self) -> bool:
        return bool(self.follow_up)
