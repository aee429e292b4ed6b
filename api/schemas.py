"""What the care routes answer: response models built from the use cases' domain objects
(``from_attributes``), then masked for the caller's role (api/masking.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AliasPath, BaseModel, BeforeValidator, ConfigDict, Field, field_serializer

from alerting.models import Alert, TimelineEntry
from alerting.oncall import OnCallShift
from care.models import Category, Elder
from care.visits import Visit

# A domain value shown as its text (a care.month.Month as "YYYY-MM").
AsText = Annotated[str, BeforeValidator(str)]


class ElderPublic(Elder):
    """An elder's file: the record, its category on the day asked, and whether the
    identity fields (name, phone, address, …) are masked (lists, and roles that may not
    see them)."""

    model_config = ConfigDict(from_attributes=True)

    category: Category | None
    category_reason: str
    masked: bool = False
    no_contact: bool | None = None
    """True when the file has no emergency contact at all (the plan then names the
    village/residents' committee staff); null in lists, where it is not looked up."""
    age_band: str | None = None
    """The age on the day asked in a 5-year band ("80-84"); null without a birth date."""


class ElderRedacted(BaseModel):
    """An elder's file as a viewer sees it (docs/api.md, "What each role sees"): identity
    masked, the age as a 5-year band, and nothing of the birth date, village, address,
    health, family situation or the reason of the category."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    gender: str | None
    age_band: str | None
    town: str | None
    phone: str | None
    living_arrangement: str
    visit_consent: bool
    refusal_reason: str | None
    refusal_date: date | None
    contact_person: str | None
    contact_person_phone: str | None
    filed_on: date | None
    category: Category | None
    created_at: datetime
    updated_at: datetime
    masked: bool = True
    no_contact: bool | None = None


# What the elder routes answer: the whole file, or a viewer's redacted one.
ElderShown = ElderPublic | ElderRedacted


class ContactPublic(BaseModel):
    """An emergency contact in the elder's calling order."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    elder_id: str
    name: str
    phone: str
    relation: str
    relation_zh: str
    priority: int | None
    order: int
    """1 for the first to call."""


class WatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period_id: int
    reason: str
    start: date
    end: date
    required: int
    made: int
    met: bool


class ComplianceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    elder_id: str
    month: AsText
    as_of: date
    category: str | None
    category_reason: str | None
    """Which rule of the plan applied; null for a viewer (it names health and family)."""
    monthly_visit_met: bool
    in_home_met: bool
    plan_minimum_met: bool | None
    compliant: bool | None
    """The plan's minimum and every heightened-watch week so far; null when the person
    is not a special-difficulty elder (no requirement)."""
    visits: list[Visit]
    last_in_home_at: datetime | None
    next_in_home_due: date | None
    in_home_overdue: bool
    watch: list[WatchOut]


class NeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    """``in_home`` (an in-home visit), ``any`` (a visit of any method), ``watch`` (extra
    visits of a heightened-watch week)."""
    count: int
    by: date


def _of_elder(name: str) -> Any:
    """A due-list field read from the item's elder (care.due.TownElder)."""
    return Field(validation_alias=AliasPath("candidate", "elder", name))


def _of_assessment(name: str) -> Any:
    """A due-list field read from the assessment of the elder's month."""
    return Field(validation_alias=AliasPath("candidate", "assessment", name))


class DueOut(BaseModel):
    """An elder of the due list and what is still to be done this month."""

    model_config = ConfigDict(from_attributes=True)

    elder_id: str = _of_elder("elder_id")
    name: str | None = _of_elder("name")
    town: str | None = _of_elder("town")
    village: str | None = _of_elder("village")
    category: str = _of_elder("category")
    needs: list[NeedOut]
    overdue: bool
    next_in_home_due: date | None = _of_assessment("next_in_home_due")
    visit_consent: bool = _of_elder("visit_consent")
    contact_person: str | None = _of_elder("contact_person")
    last_visit_at: datetime | None = _of_elder("last_visit_at")
    last_visit_method: str | None = _of_elder("last_visit_method")
    last_in_home_at: datetime | None = _of_assessment("last_in_home_at")


class AlertPublic(Alert):
    """An alert as the API shows it; who acknowledged or resolved it and the notes are
    masked for roles that may not see identities (``masked``)."""

    model_config = ConfigDict(from_attributes=True)

    masked: bool = False

    @field_serializer("id")
    def _id_as_text(self, value: int) -> str:
        # The contract's ids are strings (an opaque id to clients); stored as a bigint.
        return str(value)


class AlertDetail(AlertPublic):
    """One alert with its timeline, oldest entry first: every state change and (with
    escalation) every notification attempt."""

    timeline: list[TimelineEntry]


class OnCallShiftPublic(OnCallShift):
    """A shift of the on-call roster; name and phone masked for roles that may not see
    identities (``masked``)."""

    masked: bool = False

    @field_serializer("id")
    def _id_as_text(self, value: int) -> str:
        # Ids are strings on the wire, as the alerts' are; stored as a bigint.
        return str(value)


class StreamTicket(BaseModel):
    """A single-use ticket that opens the live alert stream (``?ticket=``) once, until
    ``expires_at``."""

    ticket: str
    expires_at: datetime
