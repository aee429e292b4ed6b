"""The escalation policy's pure schedule (``Policy.due_at``, ``level``, ``step``) and what a
policy body may hold: steps in order of ``after_s``, known recipients, a critical policy
that repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from alerting.models import Severity
from alerting.policy import (
    MAX_DELAY_S,
    MAX_STEPS,
    Notify,
    Policy,
    PolicyBody,
    PolicyStep,
    critical_repeats,
)

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
CONTRACT_STEPS = [
    {"after_s": 0, "notify": "on_call"},
    {"after_s": 60, "notify": "contacts", "count": 1},
    {"after_s": 180, "notify": "contacts", "count": 2},
    {"after_s": 600, "notify": "town"},
]


def policy(steps: list[dict[str, Any]], repeat_after_s: int) -> Policy:
    return Policy(
        severity=Severity.CRITICAL,
        steps=[PolicyStep.model_validate(s) for s in steps],
        repeat_after_s=repeat_after_s,
        ack_timeout_s=1800,
    )


def refusal_locs(body: dict[str, Any]) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as refused:
        PolicyBody.model_validate(body)
    return [error["loc"] for error in refused.value.errors()]


def test_each_step_is_due_its_after_s_from_the_start_of_the_cycle() -> None:
    critical = policy(CONTRACT_STEPS, 300)
    due = [critical.due_at(T0, i) for i in range(4)]
    assert due == [T0 + timedelta(seconds=s) for s in (0, 60, 180, 600)]
    assert [critical.step(i).notify for i in range(4)] == [
        Notify.ON_CALL,
        Notify.CONTACTS,
        Notify.CONTACTS,
        Notify.TOWN,
    ]
    assert [critical.level(i) for i in range(4)] == [0, 1, 2, 3]


def test_past_the_last_step_the_last_step_repeats_every_repeat_after_s_at_its_level() -> None:
    critical = policy(CONTRACT_STEPS, 300)
    assert critical.due_at(T0, 4) == T0 + timedelta(seconds=900)
    assert critical.due_at(T0, 6) == T0 + timedelta(seconds=1500)
    assert critical.step(5) == critical.steps[-1]
    assert critical.step(5).notify is Notify.TOWN
    assert critical.level(5) == 3, "a repeat raises the alert no further than its step"


def test_a_policy_that_does_not_repeat_has_nothing_due_past_its_last_step() -> None:
    low = policy([{"after_s": 0, "notify": "town"}], 0)
    assert low.due_at(T0, 0) == T0
    assert low.due_at(T0, 1) is None
    assert low.due_at(T0, 10) is None
    assert low.level(3) == 0


def test_a_step_counts_one_contact_unless_told() -> None:
    step = PolicyStep.model_validate({"after_s": 5, "notify": "contacts"})
    assert step.count == 1


def test_a_body_as_the_contract_shows_it_is_accepted_with_ack_timeout_defaulted() -> None:
    body = PolicyBody.model_validate(
        {"severity": "critical", "steps": CONTRACT_STEPS, "repeat_after_s": 300}
    )
    assert body.ack_timeout_s == 1800
    assert [s.after_s for s in body.steps] == [0, 60, 180, 600]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"steps": [{"after_s": -1, "notify": "on_call"}]}, ("steps", 0, "after_s")),
        ({"steps": [{"after_s": 0, "notify": "pager"}]}, ("steps", 0, "notify")),
        ({"steps": []}, ("steps",)),
        (
            {"steps": [{"after_s": 60, "notify": "town"}, {"after_s": 0, "notify": "town"}]},
            ("steps",),
        ),
        ({"steps": [{"after_s": 0, "notify": "contacts", "count": 0}]}, ("steps", 0, "count")),
        ({"steps": [{"after_s": MAX_DELAY_S + 1, "notify": "town"}]}, ("steps", 0, "after_s")),
        ({"steps": [{"after_s": "60", "notify": "town"}]}, ("steps", 0, "after_s")),
        ({"steps": [{"after_s": 0, "notify": "town", "whom": "x"}]}, ("steps", 0, "whom")),
        ({"steps": [{"after_s": 0, "notify": "town"}] * (MAX_STEPS + 1)}, ("steps",)),
        ({"repeat_after_s": -5}, ("repeat_after_s",)),
        ({"ack_timeout_s": 0}, ("ack_timeout_s",)),
        ({"severity": "urgent"}, ("severity",)),
    ],
    ids=[
        "negative-after",
        "unknown-notify",
        "no-steps",
        "out-of-order",
        "no-contacts",
        "beyond-a-week",
        "text-number",
        "unknown-field",
        "too-many-steps",
        "negative-repeat",
        "zero-ack-timeout",
        "unknown-severity",
    ],
)
def test_a_bad_body_is_refused_naming_the_field(
    change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    body: dict[str, Any] = {"steps": CONTRACT_STEPS, "repeat_after_s": 300, **change}
    assert refusal_locs(body) == [loc]


def test_only_a_critical_policy_must_repeat() -> None:
    assert critical_repeats(Severity.CRITICAL, 0) is not None
    assert "repeat_after_s" in (critical_repeats(Severity.CRITICAL, 0) or "")
    assert critical_repeats(Severity.CRITICAL, 1) is None
    assert critical_repeats(Severity.HIGH, 0) is None
    assert critical_repeats(Severity.LOW, 0) is None


delays = st.lists(st.integers(0, MAX_DELAY_S), min_size=1, max_size=MAX_STEPS)


def steps_of(after: list[int]) -> list[dict[str, Any]]:
    return [{"after_s": a, "notify": "on_call"} for a in after]


@given(delays)
def test_steps_in_order_of_after_s_are_accepted_ties_included(after: list[int]) -> None:
    body = PolicyBody.model_validate({"steps": steps_of(sorted(after)), "repeat_after_s": 60})
    assert [s.after_s for s in body.steps] == sorted(after)


@given(delays.filter(lambda after: after != sorted(after)))
def test_any_step_earlier_than_the_one_before_is_refused_naming_steps(after: list[int]) -> None:
    locs = refusal_locs({"steps": steps_of(after), "repeat_after_s": 60})
    assert locs == [("steps",)]


@given(delays, st.integers(1, MAX_DELAY_S), st.integers(0, 60))
def test_a_repeating_schedule_never_goes_back_in_time(
    after: list[int], repeat: int, upto: int
) -> None:
    schedule = policy(steps_of(sorted(after)), repeat)
    due = [d for d in (schedule.due_at(T0, i) for i in range(upto + 1)) if d is not None]
    assert len(due) == upto + 1, "a repeating policy always has a next step"
    assert due == sorted(due)
    last = len(after) - 1
    for index in range(last + 1, upto + 1):
        assert due[index] - due[index - 1] == timedelta(seconds=repeat)
        assert schedule.level(index) == last
