"""``/api/v1/elders/{id}/compliance``: whether the month's visits meet the plan."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ElderReader
from api.masking import compliance_shown
from api.routes.care_common import ElderIdPath, MonthQuery, actor_of, month_of
from api.schemas import ComplianceOut
from api.state import StateDep
from care import visit_services

router = APIRouter(tags=["visits"])


@router.get("/elders/{elder_id}/compliance", response_model=ComplianceOut)
async def compliance(
    elder_id: ElderIdPath, principal: ElderReader, state: StateDep, month: MonthQuery = None
) -> ComplianceOut:
    """A: an in-home visit in the month; B: any visit in the month and an in-home visit in
    it or the 5 months before; C: the same with the 11 months before. Read in one query."""
    today = state.today()
    asked = month_of(month, today)
    async with state.connection() as conn:
        view = await visit_services.elder_compliance(
            conn, actor_of(principal), elder_id, asked, today=today, tz=state.settings.tz
        )
    return compliance_shown(view, masked=not principal.sees_identity)
