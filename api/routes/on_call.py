"""``/api/v1/on-call``: the on-call roster. Admins and operators (the on-call team runs its
own roster) add and remove shifts; every role reads who is on duty, viewers with name and
phone masked, town staff the shifts covering their own town."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from alerting import oncall_services
from alerting.oncall import OnCallShift, ShiftCreate
from api.auth import Principal, Role, require
from api.errors import field_error
from api.masking import shift_shown
from api.pagination import Page
from api.params import instant, plain_text
from api.routes.care_common import actor_of
from api.schemas import OnCallShiftPublic
from api.state import AppState, StateDep

router = APIRouter(prefix="/on-call", tags=["on-call"])

_MAX_ID: Final = 2**63 - 1

RosterReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF, Role.VIEWER))]
RosterWriter = Annotated[Principal, Depends(require(Role.OPERATOR))]
ShiftIdPath = Annotated[int, Path(ge=1, le=_MAX_ID, description="The shift's id")]
TimeQuery = Annotated[
    str | None,
    Query(max_length=64, description="ISO 8601 (with offset; without: the deployment's zone)"),
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OnCallShiftPublic)
async def add_shift(
    shift: Annotated[ShiftCreate, Body()], principal: RosterWriter, state: StateDep
) -> OnCallShiftPublic:
    """Put a person on duty from ``starts_at`` until ``ends_at`` (ISO 8601 with offset; at
    most 31 days) for ``towns`` (registered names or aliases, stored as the registered
    names; null or left out: every town)."""
    async with state.connection() as conn:
        stored = await oncall_services.add_shift(conn, actor_of(principal), shift, state.clock())
    return shift_shown(stored, masked=False)


@router.get("", response_model=Page[OnCallShiftPublic])
async def on_duty(
    *,
    principal: RosterReader,
    state: StateDep,
    at: TimeQuery = None,
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Page[OnCallShiftPublic]:
    """Who is on duty at ``at`` (default: now; a shift's start included, its end not), or
    at some time of [``from``, ``to``) (at most 31 days); ``town`` keeps the shifts of
    every town and those naming it. Town staff see their own town's; by start, one page."""
    actor, town = actor_of(principal), plain_text(town, "town")
    async with state.connection() as conn:
        if start is None and end is None:
            when = _time(state, at, "at") or state.clock()
            found = await oncall_services.on_duty_at(conn, actor, when, town)
        else:
            first, last = _range(state, at, start, end)
            found = await oncall_services.on_duty_between(conn, actor, first, last, town)
    return _page(found, masked=not principal.sees_identity)


@router.delete("/{shift_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def remove_shift(shift_id: ShiftIdPath, principal: RosterWriter, state: StateDep) -> Response:
    """Take a shift off the roster (unknown id: 404)."""
    async with state.connection() as conn:
        await oncall_services.remove_shift(conn, actor_of(principal), shift_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _time(state: AppState, value: str | None, name: str) -> datetime | None:
    return instant(value, name, state.settings.tz)


def _range(
    state: AppState, at: str | None, start: str | None, end: str | None
) -> tuple[datetime, datetime]:
    if at is not None:
        raise field_error(("query", "at"), "give either 'at' or 'from' and 'to'", at)
    first, last = _time(state, start, "from"), _time(state, end, "to")
    if first is None:
        raise field_error(("query", "from"), "'to' needs 'from'", None)
    if last is None:
        raise field_error(("query", "to"), "'from' needs 'to'", None)
    return first, last


def _page(found: list[OnCallShift], *, masked: bool) -> Page[OnCallShiftPublic]:
    return Page[OnCallShiftPublic](
        items=[shift_shown(s, masked=masked) for s in found], next_cursor=None
    )
