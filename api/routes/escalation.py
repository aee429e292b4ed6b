"""``/api/v1/escalation-policies``: the escalation policy of each severity. Every role
reads them (they name no one); admins replace one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path

from alerting import policy_services
from alerting.models import Severity
from alerting.policy import Policy, PolicyBody
from api.auth import Admin, Principal, Role, require
from api.pagination import Page
from api.routes.care_common import actor_of
from api.state import StateDep

router = APIRouter(prefix="/escalation-policies", tags=["escalation"])

PolicyReader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.TOWN_STAFF, Role.VIEWER))]
SeverityPath = Annotated[Severity, Path(description="critical, high or low")]


@router.get("", response_model=Page[Policy])
async def list_policies(_: PolicyReader, state: StateDep) -> Page[Policy]:
    """The three policies, critical first (one page)."""
    async with state.connection() as conn:
        policies = await policy_services.list_policies(conn)
    return Page[Policy](items=policies, next_cursor=None)


@router.get("/{severity}", response_model=Policy)
async def get_policy(severity: SeverityPath, _: PolicyReader, state: StateDep) -> Policy:
    """One severity's policy."""
    async with state.connection() as conn:
        return await policy_services.policy(conn, severity)


@router.put("/{severity}", response_model=Policy)
async def put_policy(
    severity: SeverityPath,
    body: Annotated[PolicyBody, Body()],
    principal: Admin,
    state: StateDep,
) -> Policy:
    """Replace the policy of ``severity`` whole: steps in order of ``after_s``, a
    ``repeat_after_s`` above 0 for critical, ``severity`` in the body (if sent) the
    path's; ``ack_timeout_s`` left out is the severity's shipped value. Answers the stored
    policy, stamped with ``updated_at`` and ``updated_by``."""
    async with state.connection() as conn:
        return await policy_services.put_policy(
            conn, actor_of(principal), severity, body, state.clock()
        )
