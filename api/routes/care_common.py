"""What the care routes share: the caller as the use cases name them (``actor_of``), the
elder id path parameter, and the ``month`` query parameter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from api.auth import Principal
from api.errors import field_error
from care.audit import Actor
from care.models import ELDER_ID_PATTERN
from care.month import Month

ElderIdPath = Annotated[str, Path(pattern=ELDER_ID_PATTERN, description="The elder's file id")]
MonthQuery = Annotated[
    str | None, Query(description="YYYY-MM; the current month when left out", max_length=7)
]


def actor_of(principal: Principal) -> Actor:
    """The caller as a use case and the audit log name them: who, role, town."""
    return principal.actor


def month_of(value: str | None, today_month: Month) -> Month:
    if value is None:
        return today_month
    try:
        return Month.parse(value)
    except ValueError:
        raise field_error(("query", "month"), "month must be written YYYY-MM", value) from None
