"""``/api/v1/alerts/coverage``: the holes in the escalation paths (no silent gaps).

Admins and operators see every town's, town staff their own town's, viewers every town's
with the unusable phones masked. Registered before ``/alerts/{alert_id}`` (app.py): the
path would otherwise be read as an alert id."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query

from alerting import coverage_services
from alerting.coverage import Coverage
from api.auth import ElderReader
from api.masking import coverage_shown
from api.params import plain_text
from api.routes.care_common import actor_of
from api.state import StateDep

router = APIRouter(prefix="/alerts", tags=["alerts"])

# Entries per list at most: a county's worth of holes reads in one answer; beyond that the
# counts tell the size and the town filter cuts it.
DEFAULT_COVERAGE_LIMIT: Final = 1000
MAX_COVERAGE_LIMIT: Final = 10_000


@router.get("/coverage", response_model=Coverage, response_model_by_alias=True)
async def coverage(
    *,
    principal: ElderReader,
    state: StateDep,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_COVERAGE_LIMIT, description="Entries per list at most")
    ] = DEFAULT_COVERAGE_LIMIT,
) -> Coverage:
    """Elders whose contacts cannot be reached, contacts without a usable phone, towns with
    hours of the coming 7 days when nobody is on duty for them (merged intervals with their
    hours), towns without a duty contact; with counts. ``town`` (a name or alias) keeps one
    town; town staff get their own."""
    async with state.connection() as conn:
        found = await coverage_services.coverage(
            conn, actor_of(principal), plain_text(town, "town"), now=state.clock(), limit=limit
        )
    return coverage_shown(found, masked=not principal.sees_identity)
