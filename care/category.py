"""Classes A/B/C of the plan (A/B/C 三類): a pure function of the elder's file and a day.

The rules are those of the Kaiping plan (see docs/care.md); they are tried in the plan's
order and the first that holds decides, so the reason returned is the rule a member of
staff would point at. The same rules exist once more as the SQL function
``tanfang_care_category`` (migration 0010) so that the monthly report can classify 100 000
elders inside one query; tests/care/test_category_sql.py keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

CATEGORIES: Final = ("A", "B", "C")
SHARED_HOUSEHOLDS: Final = frozenset({"alone", "empty_nest", "left_behind"})
OLD_AGE: Final = 80
ELDER_AGE: Final = 60


class Classifiable(Protocol):
    """The fields of the file that decide the class (the API's elder model has them all)."""

    @property
    def birth_date(self) -> date | None: ...
    @property
    def living_arrangement(self) -> str: ...
    @property
    def incapacitated(self) -> bool: ...
    @property
    def dementia(self) -> bool: ...
    @property
    def disability_level(self) -> str: ...
    @property
    def low_income(self) -> bool: ...
    @property
    def family_planning_special(self) -> bool: ...
    @property
    def couple_with_dependent(self) -> bool: ...
    @property
    def cares_for_dependent_child(self) -> bool: ...
    @property
    def category_override(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Facts:
    """A plain holder of the classifying fields, for callers that have no elder model."""

    birth_date: date | None
    living_arrangement: str = "alone"
    incapacitated: bool = False
    dementia: bool = False
    disability_level: str = "none"
    low_income: bool = False
    family_planning_special: bool = False
    couple_with_dependent: bool = False
    cares_for_dependent_child: bool = False
    category_override: str | None = None


# The reasons, in the plan's words; docs/care.md lists the same table.
A_INCAPACITATED: Final = "A: incapacitated (失能) special-difficulty elder"
A_80_ALONE: Final = "A: 80 or older and living alone (80歲以上獨居)"
A_80_EMPTY_NEST: Final = "A: 80 or older and empty-nest (80歲以上空巢)"
A_80_LEFT_BEHIND: Final = "A: 80 or older and left behind (80歲以上留守)"
A_LOW_INCOME: Final = (
    "A: living alone, empty-nest or left behind in a minimum-living-allowance household"
    " (低保家庭中獨居、空巢、留守)"
)
A_FAMILY_PLANNING: Final = (
    "A: living alone in a family-planning special family (計劃生育特殊家庭中獨居)"
)
B_SEVERE_ALONE: Final = "B: 60 to 79, severely disabled (重殘) and living alone"
B_COUPLE: Final = (
    "B: 60 to 79, an elderly couple where one partner is incapacitated, demented or disabled"
)
B_CARER: Final = "B: cares long-term for an incapacitated or demented child"
C_OTHER: Final = "C: other special-difficulty elder (其他特殊困難老年人)"
NONE_NO_BIRTH_DATE: Final = "none: no birth date on file, so the age is unknown"
NONE_BORN_LATER: Final = "none: the birth date is after the day asked"
NONE_UNDER_60: Final = "none: under 60, not an elder under the plan"
NONE_NOT_SERVED: Final = (
    "none: 60 or older but in none of the served groups (not living alone, empty-nest or"
    " left behind, not incapacitated, not severely disabled, not a family-planning special"
    " family)"
)

_A_80: Final = {"alone": A_80_ALONE, "empty_nest": A_80_EMPTY_NEST, "left_behind": A_80_LEFT_BEHIND}


def age_on(birth: date, on: date) -> int:
    """Whole years on ``on``: the birthday itself counts (someone born 29 February has it
    on 1 March in other years, the day the date 28 February has passed)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def classify(elder: Classifiable, on: date) -> tuple[str | None, str]:
    """The class on day ``on`` and the rule that decided it; ``(None, why)`` when the person
    is not a special-difficulty elder. A town's ``category_override`` wins and says so."""
    category, reason = _by_plan(elder, on)
    override = elder.category_override
    if override in CATEGORIES:
        by_plan = f"the plan gives {category}" if category else "the plan gives no class"
        return override, f"{override}: the town's own decision (override); {by_plan} — {reason}"
    return category, reason


def _by_plan(elder: Classifiable, on: date) -> tuple[str | None, str]:
    birth = elder.birth_date
    if birth is None:
        return None, NONE_NO_BIRTH_DATE
    if birth > on:
        return None, NONE_BORN_LATER
    age = age_on(birth, on)
    if age < ELDER_AGE:
        return None, NONE_UNDER_60
    return _class_a(elder, age) or _class_b(elder, age) or _class_c(elder)


def _class_a(elder: Classifiable, age: int) -> tuple[str, str] | None:
    living = elder.living_arrangement
    if elder.incapacitated:
        return "A", A_INCAPACITATED
    if age >= OLD_AGE and living in _A_80:
        return "A", _A_80[living]
    if elder.low_income and living in SHARED_HOUSEHOLDS:
        return "A", A_LOW_INCOME
    if elder.family_planning_special and living == "alone":
        return "A", A_FAMILY_PLANNING
    return None


def _class_b(elder: Classifiable, age: int) -> tuple[str, str] | None:
    if age < OLD_AGE and elder.disability_level == "severe" and elder.living_arrangement == "alone":
        return "B", B_SEVERE_ALONE
    if age < OLD_AGE and elder.couple_with_dependent:
        return "B", B_COUPLE
    if elder.cares_for_dependent_child:
        return "B", B_CARER
    return None


def _class_c(elder: Classifiable) -> tuple[str | None, str]:
    served = (
        elder.living_arrangement in SHARED_HOUSEHOLDS
        or elder.disability_level == "severe"
        or elder.family_planning_special
        or elder.couple_with_dependent
    )
    return ("C", C_OTHER) if served else (None, NONE_NOT_SERVED)
