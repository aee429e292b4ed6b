"""The simulator's part of the check-in prompts of a file run (``simulators.prompts``): the
heightened watch its weather declares, and the prompt day of each month."""

from __future__ import annotations

from datetime import date
from typing import Any

from simulators.prompts import COLD, HEAT, Prompter, prompt_day_of


def _never(elder: Any, on: date) -> bool:
    return False


def test_hot_summer_days_in_a_row_are_one_watch_period_for_every_town() -> None:
    prompter = Prompter(_never)
    days = [(date(2026, 7, 10), 1.6), (date(2026, 7, 11), 2.4), (date(2026, 7, 12), 0.3)]
    days += [(date(2026, 7, 13), 1.9), (date(2026, 12, 3), 1.9), (date(2027, 1, 8), -6.2)]
    watched = [prompter._declare(on, anomaly) for on, anomaly in days]
    assert watched == [True, True, False, True, False, True]  # a warm December day: no watch
    assert [(w["town"], w["from"], w["to"], w["reason"]) for w in prompter.watch] == [
        (None, "2026-07-10", "2026-07-11", HEAT),
        (None, "2026-07-13", "2026-07-13", HEAT),
        (None, "2027-01-08", "2027-01-08", COLD),
    ]


def test_a_prompt_day_past_a_short_months_end_is_its_last_day() -> None:
    assert prompt_day_of(date(2026, 2, 3), 30) == 28
    assert prompt_day_of(date(2028, 2, 3), 30) == 29
    assert prompt_day_of(date(2026, 12, 3), 31) == 31
    assert prompt_day_of(date(2026, 7, 3), 20) == 20
