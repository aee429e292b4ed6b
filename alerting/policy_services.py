"""Escalation policy use cases: read them (every role), and replace one (admins; the route
holds the role), with the audit record. Each runs in the caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final

from alerting import policy_repo
from alerting.models import Severity
from alerting.policy import Policy, PolicyBody, critical_repeats
from care import audit, audit_repo
from care.audit import Actor
from care.errors import InvalidFieldError
from store.db import Conn

log = logging.getLogger(__name__)

ENTITY: Final = "escalation_policy"
# What a PUT without ``ack_timeout_s`` sets: the severity's shipped value (migration 0042),
# so that leaving the field out never turns a low alert's week into half an hour.
SHIPPED_ACK_TIMEOUT_S: Final = {
    Severity.CRITICAL: 1800,
    Severity.HIGH: 4 * 3600,
    Severity.LOW: 7 * 24 * 3600,
}


async def list_policies(conn: Conn) -> list[Policy]:
    """The three policies, critical first."""
    return await policy_repo.all_policies(conn)


async def policy(conn: Conn, severity: Severity) -> Policy:
    """One severity's policy."""
    return await policy_repo.get_policy(conn, severity)


async def put_policy(
    conn: Conn, actor: Actor, severity: Severity, body: PolicyBody, now: datetime
) -> Policy:
    """Replace the policy of ``severity`` with ``body``; InvalidFieldError naming
    ``severity`` when the body names another severity than the path, ``repeat_after_s``
    when a critical policy would not repeat. The change (before and after) goes to the
    audit log."""
    if body.severity is not None and body.severity is not severity:
        raise InvalidFieldError(
            "severity",
            f"the body names {body.severity.value}, the path {severity.value}",
            body.severity.value,
        )
    refused = critical_repeats(severity, body.repeat_after_s)
    if refused is not None:
        raise InvalidFieldError("repeat_after_s", refused, body.repeat_after_s)
    ack_timeout_s = (
        body.ack_timeout_s
        if "ack_timeout_s" in body.model_fields_set
        else SHIPPED_ACK_TIMEOUT_S[severity]
    )
    before = await policy_repo.find_policy(conn, severity, lock=True)
    stored = await policy_repo.put_policy(
        conn,
        severity,
        body.steps,
        repeat_after_s=body.repeat_after_s,
        ack_timeout_s=ack_timeout_s,
        now=now,
        by=actor.name,
    )
    detail = {"before": None if before is None else _settings(before), "after": _settings(stored)}
    await audit_repo.record(conn, actor, audit.UPDATE, ENTITY, severity.value, detail=detail)
    log.info("escalation policy %s replaced by %s", severity.value, actor.name)
    return stored


def _settings(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json", include={"steps", "repeat_after_s", "ack_timeout_s"})
