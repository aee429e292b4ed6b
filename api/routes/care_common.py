"""What the care routes share: the caller as the audit log names them, the town rules of
town staff tokens (``check_town`` for one record, ``scope_town`` for lists), the readable
elder (with the read written to the audit log), and the ``month`` parameter."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from fastapi import HTTPException, Path, Query, status

from api.auth import Principal, Role
from api.errors import field_error
from care import audit, audit_repo, repo
from care.audit import Actor
from care.models import ELDER_ID_PATTERN, Elder
from care.month import Month
from store.db import Conn

ElderIdPath = Annotated[str, Path(pattern=ELDER_ID_PATTERN, description="The elder's file id")]
MonthQuery = Annotated[
    str | None, Query(description="YYYY-MM; the current month when left out", max_length=7)
]
NOT_FOUND: Final = "no such elder"
OTHER_TOWN: Final = "this elder belongs to another town"
OTHER_TOWN_LIST: Final = "this token may only see its own town"


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
    """A single record (an elder, a new file, a file moved to ``town``): 403 when it is of
    another town than the town staff token's."""
    if not principal.may_see_town(town):
        raise HTTPException(status.HTTP_403_FORBIDDEN, OTHER_TOWN)


def scope_town(principal: Principal, town: str | None) -> str | None:
    """The town a list (or a town-wide declaration) is about, the one rule for every care
    route: a town staff token gets its own town whether ``town`` is left out or names it,
    and 403 when ``town`` names another (never an empty page that looks like "no rows");
    other roles get ``town`` as asked (None: every town)."""
    if principal.role is not Role.TOWN_STAFF:
        return town
    if town is not None and town != principal.town:
        raise HTTPException(status.HTTP_403_FORBIDDEN, OTHER_TOWN_LIST)
    return principal.town


async def readable_elder(
    conn: Conn, principal: Principal, elder_id: str, *, what: str, write: bool = False
) -> Elder:
    """The elder's file when the caller may see it (404 / 403 otherwise); the access is
    written to the audit log in the caller's transaction."""
    elder = await repo.get_elder(conn, elder_id)
    if elder is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    check_town(principal, elder.town)
    action = audit.UPDATE if write else audit.READ
    await audit_repo.record(conn, actor_of(principal), action, what, elder_id, town=elder.town)
    return elder


def refusal_fields(
    consent: bool, reason: str | None, refused_on: date | None, today: date
) -> dict[str, object]:
    """A refusal of visits (``visit_consent: false``) needs its reason; its date defaults
    to today. Returns the fields to store besides what was sent; 422 without a reason."""
    if consent:
        return {}
    if not reason:
        raise field_error(
            ("body", "refusal_reason"), "a refusal of visits needs its reason", reason
        )
    return {} if refused_on is not None else {"refusal_date": today}
