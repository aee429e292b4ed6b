"""What the care routes share: the caller as the audit log names them, the elder's town
check (with the read written to the audit log), and the ``month`` parameter."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import HTTPException, Path, Query, status

from api.auth import Principal
from api.errors import field_error
from care import audit_repo
from care.audit import Actor
from care.models import ELDER_ID_PATTERN
from care.month import Month
from store.pool import Pool  # noqa: F401  (re-exported type for the routes' signatures)

ElderIdPath = Annotated[str, Path(pattern=ELDER_ID_PATTERN, description="The elder's file id")]
MonthQuery = Annotated[
    str | None, Query(description="YYYY-MM; the current month when left out", max_length=7)
]
NOT_FOUND: Final = "no such elder"
OTHER_TOWN: Final = "this elder belongs to another town"


def actor_of(principal: Principal) -> Actor:
    name = "admin" if principal.token_id is None else f"token:{principal.token_id}"
    return Actor(name, str(principal.role), principal.town)


def month_of(value: str | None, today_month: Month) -> Month:
    if value is None:
        return today_month
    try:
        return Month.parse(value)
    except ValueError:
        raise field_error(("query", "month"), "month must be written YYYY-MM", value) from None


def check_town(principal: Principal, town: str | None) -> None:
    if not principal.may_see_town(town):
        raise HTTPException(status.HTTP_403_FORBIDDEN, OTHER_TOWN)


async def elder_town(conn: audit_repo.Conn, elder_id: str) -> tuple[bool, str | None]:
    """(exists, town) of an elder's file."""
    cur = await conn.execute("SELECT town FROM elders WHERE id = %s", (elder_id,))
    row = await cur.fetchone()
    return (row is not None, None if row is None else row[0])
