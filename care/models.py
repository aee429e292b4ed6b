"""The elder's file (一人一檔): what is stored, what a client sends, what it gets back.

``ElderCreate`` / ``ElderUpdate`` are what a client may send, ``Elder`` is the stored record,
``ElderFile`` is what the use cases answer (the record plus its category); the API's
``ElderPublic`` (api/schemas.py) is built from it, masked for the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from care.month import service_day_problem
from store.patch import PatchModel
from store.text import ID_PATTERN, RecordId, storable, visible

ELDER_ID_PATTERN: Final = ID_PATTERN
_EARLIEST_BIRTH: Final = date(1880, 1, 1)


# Names, towns, villages, addresses and reasons must hold something a person can read.
Name = Annotated[
    str, Field(min_length=1, max_length=100), AfterValidator(storable), AfterValidator(visible)
]
ShortText = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(storable), AfterValidator(visible)
]
LongText = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(storable), AfterValidator(visible)
]
Phone = Annotated[
    str, Field(min_length=3, max_length=32, pattern=r"^[0-9+() -]+$"), AfterValidator(storable)
]
ElderId = RecordId


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


class LivingArrangement(StrEnum):
    ALONE = "alone"
    EMPTY_NEST = "empty_nest"
    LEFT_BEHIND = "left_behind"
    WITH_FAMILY = "with_family"


class DisabilityLevel(StrEnum):
    NONE = "none"
    MILD = "mild"
    SEVERE = "severe"


class Category(StrEnum):
    A = "A"
    B = "B"
    C = "C"


def _not_future_birth(value: date | None) -> date | None:
    if value is None:
        return value
    # A day of slack: "today" in UTC may still be yesterday in the town's zone.
    if value > datetime.now(UTC).date():
        raise ValueError("birth_date is in the future")
    if value < _EARLIEST_BIRTH:
        raise ValueError("birth_date is implausibly early")
    return value


def _service_day(value: date | None) -> date | None:
    # The clock of the server in UTC: the bounds are years apart, a time zone does not matter.
    problem = None if value is None else service_day_problem(value, datetime.now(UTC).date())
    if problem is not None:
        raise ValueError(problem)
    return value


BirthDate = Annotated[date, AfterValidator(_not_future_birth)]
ServiceDay = Annotated[date, AfterValidator(_service_day)]
AlertMinutes = Annotated[int, Field(ge=5, le=7 * 24 * 60)]


class _ElderFields(BaseModel):
    """Fields a client may set, besides ``id``; shared by create and the stored record."""

    model_config = ConfigDict(use_enum_values=True, extra="forbid")

    name: Name
    gender: Gender | None = None
    birth_date: BirthDate | None = None
    town: ShortText
    village: ShortText | None = None
    address: LongText | None = None
    phone: Phone | None = None
    living_arrangement: LivingArrangement = LivingArrangement.ALONE
    incapacitated: StrictBool = False
    dementia: StrictBool = False
    disability_level: DisabilityLevel = DisabilityLevel.NONE
    low_income: StrictBool = False
    family_planning_special: StrictBool = False
    couple_with_dependent: StrictBool = False
    cares_for_dependent_child: StrictBool = False
    category_override: Category | None = None
    visit_consent: StrictBool = True
    inactivity_alert_after_minutes: AlertMinutes | None = None
    # Care domain (docs/care.md): a refusal of visits is recorded with its reason and date;
    # the contact person (探訪關愛服務聯系人) is part of the file.
    refusal_reason: LongText | None = None
    refusal_date: ServiceDay | None = None
    contact_person: Name | None = None
    contact_person_phone: Phone | None = None
    # The day the file was opened (建檔日期): the report counts the elder from that month on.
    # Not sent: the day it is created, in the town's time zone (the API fills it in).
    filed_on: ServiceDay | None = None


class ElderCreate(_ElderFields):
    """A new file; the id is the town's own (e.g. ``KP-000123``)."""

    id: ElderId


class ElderUpdate(PatchModel):
    """A partial change: only the fields sent are changed; ``null`` clears optional ones."""

    # Their column is NOT NULL, or (filed_on) null would lose the day the file was opened.
    not_null = frozenset(
        {
            "name",
            "town",
            "living_arrangement",
            "incapacitated",
            "dementia",
            "disability_level",
            "low_income",
            "family_planning_special",
            "couple_with_dependent",
            "cares_for_dependent_child",
            "visit_consent",
            "filed_on",
        }
    )

    name: Name | None = None
    gender: Gender | None = None
    birth_date: BirthDate | None = None
    town: ShortText | None = None
    village: ShortText | None = None
    address: LongText | None = None
    phone: Phone | None = None
    living_arrangement: LivingArrangement | None = None
    incapacitated: StrictBool | None = None
    dementia: StrictBool | None = None
    disability_level: DisabilityLevel | None = None
    low_income: StrictBool | None = None
    family_planning_special: StrictBool | None = None
    couple_with_dependent: StrictBool | None = None
    cares_for_dependent_child: StrictBool | None = None
    category_override: Category | None = None
    visit_consent: StrictBool | None = None
    inactivity_alert_after_minutes: AlertMinutes | None = None
    refusal_reason: LongText | None = None
    refusal_date: ServiceDay | None = None
    contact_person: Name | None = None
    contact_person_phone: Phone | None = None
    filed_on: ServiceDay | None = None


class Elder(BaseModel):
    """The stored record, read back as it is (rows may predate today's validation rules)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    gender: str | None
    birth_date: date | None
    town: str | None
    village: str | None
    address: str | None
    phone: str | None
    living_arrangement: str
    incapacitated: bool
    dementia: bool
    disability_level: str
    low_income: bool
    family_planning_special: bool
    couple_with_dependent: bool
    cares_for_dependent_child: bool
    category_override: str | None
    visit_consent: bool
    inactivity_alert_after_minutes: int | None
    created_at: datetime
    updated_at: datetime
    refusal_reason: str | None = None
    refusal_date: date | None = None
    contact_person: str | None = None
    contact_person_phone: str | None = None
    filed_on: date | None = None
    """None for rows written before the column existed: then the day of ``created_at``."""

    def filed_day(self, tz: ZoneInfo) -> date:
        """The day the file was opened: ``filed_on``, or the day it was created in ``tz``."""
        return self.filed_on or self.created_at.astimezone(tz).date()


class ElderFile(Elder):
    """An elder's file as the use cases answer it (care.services): the record, with
    ``filed_on`` filled in, its category on the day asked and the rule that gave it.
    Unmasked: the API masks it for the caller (api/masking.py)."""

    category: Category | None
    category_reason: str
    no_contact: bool | None = None
    """True when the file has no emergency contact at all (the plan then names the
    village/residents' committee staff); None in lists, where it is not looked up."""
    age_band: str | None = None
    """The age on the day asked in a 5-year band ("80-84"): what a viewer sees instead of
    the birth date. None without a birth date."""


@dataclass(frozen=True, slots=True)
class PromptCandidate:
    """A Ping An Tong button of an elder on file, with what the check-in prompt rule
    (``care.prompts.should_prompt``) needs; ``care.prompts_repo`` reads them."""

    device_id: str
    elder_id: str
    category: str | None
    visit_consent: bool
    visited_this_month: bool
    checked_in_today: bool
    under_watch: bool
    prompted_today: bool
