"""Every rule of the plan's A/B/C table, its edges (birthdays, leap days, 60/80), and
totality over every combination of fields."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from care import category as cat
from care.category import Facts, age_on, classify

ON = date(2026, 5, 15)


def born(age: int, on: date = ON) -> date:
    """A birth date giving exactly ``age`` on ``on`` (birthday a month ago)."""
    return date(on.year - age, on.month - 1, on.day)


def facts(age: int = 70, **fields: object) -> Facts:
    return dataclasses.replace(Facts(birth_date=born(age)), **fields)  # type: ignore[arg-type]


# --- class A ---------------------------------------------------------------------------


def test_incapacitated_elder_is_class_a_at_any_age_from_60() -> None:
    assert classify(facts(61, incapacitated=True, living_arrangement="with_family"), ON) == (
        "A",
        cat.A_INCAPACITATED,
    )


def test_80_or_older_living_alone_is_class_a() -> None:
    assert classify(facts(85, living_arrangement="alone"), ON) == ("A", cat.A_80_ALONE)


def test_80_or_older_empty_nest_is_class_a() -> None:
    assert classify(facts(80, living_arrangement="empty_nest"), ON) == ("A", cat.A_80_EMPTY_NEST)


def test_80_or_older_left_behind_is_class_a() -> None:
    assert classify(facts(90, living_arrangement="left_behind"), ON) == ("A", cat.A_80_LEFT_BEHIND)


def test_80_or_older_living_with_family_is_not_class_a_by_age() -> None:
    assert classify(facts(85, living_arrangement="with_family"), ON)[0] is None


def test_low_income_household_living_alone_empty_nest_or_left_behind_is_class_a() -> None:
    for living in ("alone", "empty_nest", "left_behind"):
        assert classify(facts(65, low_income=True, living_arrangement=living), ON) == (
            "A",
            cat.A_LOW_INCOME,
        )


def test_low_income_living_with_family_is_not_class_a() -> None:
    assert classify(facts(65, low_income=True, living_arrangement="with_family"), ON)[0] is None


def test_family_planning_special_family_living_alone_is_class_a() -> None:
    assert classify(facts(62, family_planning_special=True), ON) == ("A", cat.A_FAMILY_PLANNING)


def test_family_planning_special_family_empty_nest_is_class_c() -> None:
    got = classify(facts(62, family_planning_special=True, living_arrangement="empty_nest"), ON)
    assert got == ("C", cat.C_OTHER)


# --- class B ---------------------------------------------------------------------------


def test_60_to_79_severely_disabled_living_alone_is_class_b() -> None:
    assert classify(facts(60, disability_level="severe"), ON) == ("B", cat.B_SEVERE_ALONE)
    assert classify(facts(79, disability_level="severe"), ON) == ("B", cat.B_SEVERE_ALONE)


def test_severely_disabled_living_alone_at_80_is_class_a_by_age() -> None:
    assert classify(facts(80, disability_level="severe"), ON) == ("A", cat.A_80_ALONE)


def test_mildly_disabled_living_alone_is_class_c() -> None:
    assert classify(facts(70, disability_level="mild"), ON) == ("C", cat.C_OTHER)


def test_60_to_79_couple_with_a_dependent_partner_is_class_b() -> None:
    got = classify(facts(72, couple_with_dependent=True, living_arrangement="with_family"), ON)
    assert got == ("B", cat.B_COUPLE)


def test_couple_with_a_dependent_partner_at_80_living_with_family_is_class_c() -> None:
    got = classify(facts(80, couple_with_dependent=True, living_arrangement="with_family"), ON)
    assert got == ("C", cat.C_OTHER)


def test_carer_of_an_incapacitated_child_is_class_b() -> None:
    got = classify(facts(66, cares_for_dependent_child=True, living_arrangement="with_family"), ON)
    assert got == ("B", cat.B_CARER)


# --- class C and none ------------------------------------------------------------------


def test_60_to_79_living_alone_without_other_hardship_is_class_c() -> None:
    assert classify(facts(70), ON) == ("C", cat.C_OTHER)


def test_empty_nest_and_left_behind_under_80_are_class_c() -> None:
    for living in ("empty_nest", "left_behind"):
        assert classify(facts(70, living_arrangement=living), ON) == ("C", cat.C_OTHER)


def test_severely_disabled_living_with_family_is_class_c() -> None:
    got = classify(facts(70, disability_level="severe", living_arrangement="with_family"), ON)
    assert got == ("C", cat.C_OTHER)


def test_elder_living_with_family_without_hardship_has_no_class() -> None:
    assert classify(facts(70, living_arrangement="with_family"), ON) == (
        None,
        cat.NONE_NOT_SERVED,
    )


def test_dementia_alone_with_family_is_not_a_served_group() -> None:
    got = classify(facts(70, dementia=True, living_arrangement="with_family"), ON)
    assert got[0] is None


def test_person_under_60_has_no_class_whatever_the_hardship() -> None:
    got = classify(facts(59, incapacitated=True, low_income=True), ON)
    assert got == (None, cat.NONE_UNDER_60)


def test_missing_birth_date_gives_no_class_with_the_reason() -> None:
    assert classify(Facts(birth_date=None, incapacitated=True), ON) == (
        None,
        cat.NONE_NO_BIRTH_DATE,
    )


def test_birth_date_after_the_day_asked_gives_no_class() -> None:
    assert classify(Facts(birth_date=date(2027, 1, 1)), ON) == (None, cat.NONE_BORN_LATER)


# --- overrides -------------------------------------------------------------------------


def test_town_override_wins_and_is_shown_as_an_override() -> None:
    got, reason = classify(facts(70, category_override="A"), ON)
    assert got == "A"
    assert "override" in reason
    assert "the plan gives C" in reason


def test_override_applies_to_a_person_the_plan_does_not_serve() -> None:
    got, reason = classify(facts(50, category_override="B"), ON)
    assert got == "B"
    assert "the plan gives no class" in reason


def test_unknown_override_value_is_ignored() -> None:
    assert classify(facts(70, category_override="D"), ON) == ("C", cat.C_OTHER)


# --- the day asked: birthdays and leap days --------------------------------------------


def test_80th_birthday_itself_counts_as_80() -> None:
    elder = Facts(birth_date=date(1946, 5, 15))
    assert classify(elder, date(2026, 5, 14)) == ("C", cat.C_OTHER)
    assert classify(elder, date(2026, 5, 15)) == ("A", cat.A_80_ALONE)


def test_60th_birthday_itself_counts_as_60() -> None:
    elder = Facts(birth_date=date(1966, 5, 15))
    assert classify(elder, date(2026, 5, 14))[0] is None
    assert classify(elder, date(2026, 5, 15)) == ("C", cat.C_OTHER)


def test_born_on_29_february_turns_a_year_older_on_1_march_in_common_years() -> None:
    birth = date(1944, 2, 29)
    assert age_on(birth, date(2023, 2, 28)) == 78
    assert age_on(birth, date(2023, 3, 1)) == 79
    assert age_on(birth, date(2024, 2, 28)) == 79
    assert age_on(birth, date(2024, 2, 29)) == 80


def test_born_on_29_february_is_class_a_from_1_march_of_a_common_year() -> None:
    elder = Facts(birth_date=date(1944, 2, 29))
    assert classify(elder, date(2024, 2, 28))[0] == "C"
    assert classify(elder, date(2024, 2, 29))[0] == "A"


def test_age_on_the_last_day_of_a_month_before_a_month_end_birthday() -> None:
    assert age_on(date(1946, 12, 31), date(2026, 12, 30)) == 79
    assert age_on(date(1946, 12, 31), date(2026, 12, 31)) == 80


# --- totality --------------------------------------------------------------------------

_text = st.one_of(
    st.sampled_from(["alone", "empty_nest", "left_behind", "with_family"]), st.text(max_size=5)
)


@given(
    birth=st.one_of(st.none(), st.dates()),
    on=st.dates(),
    living=_text,
    disability=st.one_of(st.sampled_from(["none", "mild", "severe"]), st.text(max_size=5)),
    override=st.one_of(st.none(), st.sampled_from(["A", "B", "C"]), st.text(max_size=2)),
    flags=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_classify_is_total_and_answers_a_class_with_a_reason(
    birth: date | None,
    on: date,
    living: str,
    disability: str,
    override: str | None,
    flags: list[bool],
) -> None:
    incapacitated, dementia, low_income, special, couple, carer = flags
    elder = Facts(
        birth,
        living,
        incapacitated,
        dementia,
        disability,
        low_income,
        special,
        couple,
        carer,
        override,
    )
    category, reason = classify(elder, on)
    assert category in (None, "A", "B", "C")
    assert reason
    assert reason.startswith(category or "none") or "override" in reason
    if override in ("A", "B", "C"):
        assert category == override
