"""``/api/v1/watch-periods``: heightened watch around extreme weather, festivals,
disasters and public-health events (加密探訪)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from api.auth import ElderReader, ElderWriter
from api.params import plain_text
from api.routes.care_common import actor_of, service_day
from api.state import StateDep
from care import visit_services
from care.watch import WatchPeriodCreate, WatchPeriodPublic

router = APIRouter(prefix="/watch-periods", tags=["watch periods"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WatchPeriodPublic)
async def declare(
    period: Annotated[WatchPeriodCreate, Body()], principal: ElderWriter, state: StateDep
) -> WatchPeriodPublic:
    """Declare a period; town staff declare it for their own town, an administrator for
    one town or (without ``town``) for all."""
    async with state.connection() as conn:
        return await visit_services.declare_watch_period(conn, actor_of(principal), period)


@router.get("", response_model=list[WatchPeriodPublic])
async def periods(
    principal: ElderReader,
    state: StateDep,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[WatchPeriodPublic]:
    """Periods overlapping [from, to] (default: today) that apply to ``town`` (periods
    of all towns included; without ``town``, every town's). Town staff see their town's
    (``town=`` of another town: 403)."""
    today = state.today()
    first, last = service_day(start, "from", today), service_day(end, "to", today)
    first, last = first or today, last or first or today
    async with state.connection() as conn:
        return await visit_services.watch_periods(
            conn, actor_of(principal), plain_text(town, "town"), first, last
        )
