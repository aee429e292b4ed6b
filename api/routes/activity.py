"""``/api/v1/elders/{id}/activity``: the last hours of an elder's activity as rooms × time
slots, the console's small timeline. Not for viewers (they see no events); town staff their
own town's elders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import EventReader
from api.errors import field_error
from api.routes.care_common import ElderIdPath, actor_of
from api.state import StateDep
from care import services
from care.activity import MAX_HOURS, MIN_SLOT_MINUTES, Activity, Window

router = APIRouter(tags=["elders"])


@router.get("/elders/{elder_id}/activity", response_model=Activity)
async def activity(
    elder_id: ElderIdPath,
    principal: EventReader,
    state: StateDep,
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS, description="how far back from now")] = 24,
    slot_minutes: Annotated[
        int, Query(ge=MIN_SLOT_MINUTES, le=24 * 60, description="a divisor of the hours")
    ] = 30,
) -> Activity:
    """Activity events (motion, doors, bed and chair, running water, check-ins) of the
    last ``hours``, counted per room of the device and per slot of ``slot_minutes``,
    oldest slot first. Audited as a read of the elder's events."""
    if (hours * 60) % slot_minutes:
        raise field_error(("query", "slot_minutes"), "must divide the hours asked", slot_minutes)
    window = Window.ending(state.clock(), hours, slot_minutes)
    async with state.connection() as conn:
        return await services.elder_activity(conn, actor_of(principal), elder_id, window)
