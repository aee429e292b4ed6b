"""What the care routes share: the caller as the use cases name them (``actor_of``), the
elder id path parameter, and the ``month`` query parameter."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from api.auth import Principal
from api.errors import field_error
from care.audit import Actor
from care.models import ELDER_ID_PATTERN
from care.month import Month, service_day_problem

ElderIdPath = Annotated[str, Path(pattern=ELDER_ID_PATTERN, description="The elder's file id")]
MonthQuery = Annotated[
    str | None, Query(description="YYYY-MM; the current month when left out", max_length=7)
]


def actor_of(principal: Principal) -> Actor:
    """The caller as a use case and the audit log name them: who, role, town."""
    return principal.actor


def month_of(value: str | None, today: date) -> Month:
    """The ``month`` asked (2000-01 to December of next year), today's when left out; a 422
    naming ``month`` otherwise."""
    if value is None:
        return Month.of(today)
    try:
        return Month.asked(value, today)
    except ValueError as exc:
        raise field_error(("query", "month"), str(exc), value) from None


def service_day(value: date | None, name: str, today: date) -> date | None:
    """A day query parameter within the service's years (2000 to the end of next year); a
    422 naming ``name`` otherwise."""
    problem = None if value is None else service_day_problem(value, today)
    if problem is not None:
        raise field_error(("query", name), problem, str(value))
    return value
