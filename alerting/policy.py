"""Escalation policies (one per severity) and the pure schedule of their steps.

A policy's steps run in order at ``after_s`` from the start of the alert's escalation (its
opening, or its opening again); after the last step, that step repeats every
``repeat_after_s`` until the alert is acked (0: never). Steps are numbered by how many ran
in this cycle: step ``i`` past the last one is a repeat of the last one, at its level.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerting.models import Severity

# Bounds that keep a policy sane: a week between steps, twenty steps, ten contacts a step.
MAX_DELAY_S: Final = 7 * 24 * 3600
MAX_STEPS: Final = 20
MAX_COUNT: Final = 10
# The contract's default for critical; high and low default to their shipped rows.
DEFAULT_ACK_TIMEOUT_S: Final = 1800


class Notify(StrEnum):
    ON_CALL = "on_call"  # whoever is on duty now for the elder's town
    CONTACTS = "contacts"  # the elder's next ``count`` contacts in the emergency order
    TOWN = "town"  # the town's duty contact (an exception work order)


class PolicyStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    after_s: Annotated[int, Field(ge=0, le=MAX_DELAY_S, strict=True)]
    notify: Notify
    count: Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)] = 1


class PolicyBody(BaseModel):
    """What ``PUT /escalation-policies/{severity}`` takes (``severity``, if given, must be
    the path's)."""

    model_config = ConfigDict(extra="forbid")

    severity: Severity | None = None
    steps: Annotated[list[PolicyStep], Field(min_length=1, max_length=MAX_STEPS)]
    repeat_after_s: Annotated[int, Field(ge=0, le=MAX_DELAY_S, strict=True)]
    ack_timeout_s: Annotated[int, Field(ge=1, le=MAX_DELAY_S, strict=True)] = DEFAULT_ACK_TIMEOUT_S

    @model_validator(mode="after")
    def _steps_in_order(self) -> Self:
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if after.after_s < before.after_s:
                raise ValueError("steps must be in order of after_s")
        return self


class Policy(BaseModel):
    """A severity's escalation policy as stored and answered."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    severity: Severity
    steps: list[PolicyStep]
    repeat_after_s: int
    ack_timeout_s: int
    updated_at: datetime | None = None
    updated_by: str | None = None

    def step(self, index: int) -> PolicyStep:
        """The step that runs as the ``index``-th of a cycle (past the last: the last)."""
        return self.steps[min(index, len(self.steps) - 1)]

    def level(self, index: int) -> int:
        """The escalation level a notification of the ``index``-th step raises the alert to."""
        return min(index, len(self.steps) - 1)

    def due_at(self, started_at: datetime, index: int) -> datetime | None:
        """When the ``index``-th step of a cycle started at ``started_at`` runs; None when
        there is none (past the last step of a policy that does not repeat)."""
        last = len(self.steps) - 1
        if index <= last:
            return started_at + timedelta(seconds=self.steps[index].after_s)
        if self.repeat_after_s == 0:
            return None
        repeats = index - last
        return started_at + timedelta(
            seconds=self.steps[last].after_s + repeats * self.repeat_after_s
        )


def critical_repeats(severity: Severity, repeat_after_s: int) -> str | None:
    """Why a policy may not be stored, if it may not: a critical alert must repeat its last
    step until someone acks it."""
    if severity is Severity.CRITICAL and repeat_after_s == 0:
        return "a critical alert repeats until acked: repeat_after_s must be above 0"
    return None
