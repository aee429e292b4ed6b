"""``/api/v1/watch-periods``: heightened watch around extreme weather, festivals,
disasters and public-health events (加密探訪)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from api.auth import ElderReader, ElderWriter
from api.params import plain_text
from api.routes.care_common import actor_of, scope_town
from api.state import StateDep
from care import audit, audit_repo, watch_repo
from care.watch import WatchPeriodCreate, WatchPeriodPublic

router = APIRouter(prefix="/watch-periods", tags=["watch periods"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WatchPeriodPublic)
async def declare(
    period: Annotated[WatchPeriodCreate, Body()], principal: ElderWriter, state: StateDep
) -> WatchPeriodPublic:
    """Declare a period; town staff declare it for their own town, an administrator for
    one town or (without ``town``) for all."""
    period = period.model_copy(update={"town": scope_town(principal, period.town)})
    actor = actor_of(principal)
    async with state.connection() as conn:
        stored = await watch_repo.add_period(conn, period, actor.name)
        await audit_repo.record(
            conn, actor, audit.CREATE, "watch_period", str(stored.id), town=stored.town
        )
    return stored


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
    town = scope_town(principal, plain_text(town, "town"))
    today = state.today()
    first, last = start or today, end or start or today
    async with state.connection() as conn:
        return await watch_repo.periods_touching(conn, first, last, town, every_town=town is None)
