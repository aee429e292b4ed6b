"""Which Ping An Tong buttons get a check-in prompt, and when (pure rules)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from care.models import PromptCandidate
from care.prompts import choose, prompt_command

TZ = ZoneInfo("Asia/Shanghai")
BASE = PromptCandidate(
    device_id="pat-1",
    elder_id="KP-1",
    category="B",
    visit_consent=True,
    visited_this_month=False,
    checked_in_today=False,
    under_watch=False,
    prompted_today=False,
)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=TZ)


def chosen(candidate: PromptCandidate, now: datetime, prompt_day: int = 20) -> bool:
    return bool(choose([candidate], now, TZ, prompt_day))


def test_class_b_and_c_not_visited_by_the_20th_are_prompted() -> None:
    assert chosen(BASE, local(20, 10))
    assert chosen(dataclasses.replace(BASE, category="C"), local(25, 10))


def test_no_prompt_before_the_prompt_day() -> None:
    assert not chosen(BASE, local(19, 10))
    assert chosen(BASE, local(15, 10), prompt_day=15)


def test_class_a_and_unclassified_are_never_prompted() -> None:
    assert not chosen(dataclasses.replace(BASE, category="A"), local(20, 10))
    assert not chosen(dataclasses.replace(BASE, category=None), local(20, 10))


def test_month_already_covered_is_not_prompted() -> None:
    assert not chosen(dataclasses.replace(BASE, visited_this_month=True), local(21, 10))


def test_only_between_09_00_and_20_00_local() -> None:
    assert not chosen(BASE, local(20, 8, 59))
    assert chosen(BASE, local(20, 9, 0))
    assert chosen(BASE, local(20, 19, 59))
    assert not chosen(BASE, local(20, 20, 0))


def test_at_most_once_a_day() -> None:
    assert not chosen(dataclasses.replace(BASE, prompted_today=True), local(21, 10))


def test_during_a_watch_period_prompted_daily_even_when_the_month_is_covered() -> None:
    watched = dataclasses.replace(BASE, under_watch=True, visited_this_month=True)
    assert chosen(watched, local(3, 10))
    assert not chosen(dataclasses.replace(watched, checked_in_today=True), local(3, 10))


def test_elder_refusing_visits_is_not_prompted() -> None:
    assert not chosen(dataclasses.replace(BASE, visit_consent=False), local(20, 10))


def test_command_is_the_contract_object_expiring_at_20_00_local() -> None:
    command = prompt_command("pat-1", local(20, 10), TZ)
    assert command["cmd"] == "checkin_prompt"
    assert command["id"] == "checkin-20260520-pat-1"
    assert command["expires"] == local(20, 20).timestamp()


def test_an_elder_with_two_buttons_is_chosen_once_on_the_first_button() -> None:
    second = dataclasses.replace(BASE, device_id="pat-2")
    got = choose([BASE, second], local(20, 10), TZ, 20)
    assert [c.device_id for c in got] == ["pat-1"]


def test_prompt_day_29_to_31_fires_on_the_last_day_of_a_shorter_month() -> None:
    feb_28 = datetime(2026, 2, 28, 10, tzinfo=TZ)  # 2026 is a common year
    for prompt_day in (29, 30, 31):
        assert chosen(BASE, feb_28, prompt_day=prompt_day)
        assert not chosen(BASE, feb_28.replace(day=27), prompt_day=prompt_day)
    assert chosen(BASE, datetime(2028, 2, 29, 10, tzinfo=TZ), prompt_day=31)  # leap year
    assert chosen(BASE, datetime(2026, 4, 30, 10, tzinfo=TZ), prompt_day=31)
    assert not chosen(BASE, datetime(2026, 5, 30, 10, tzinfo=TZ), prompt_day=31)
