"""SQL of escalation policies (interim: the full version comes with the policies API)."""

from __future__ import annotations

from alerting.models import Severity
from alerting.policy import Policy
from store.db import Conn, fetch_one


async def get_policy(conn: Conn, severity: Severity) -> Policy:
    found = await fetch_one(
        conn,
        "SELECT severity, steps, repeat_after_s, ack_timeout_s, updated_at, updated_by"
        " FROM escalation_policies WHERE severity = %s",
        (severity.value,),
        Policy,
    )
    if found is None:
        raise LookupError(f"no escalation policy for {severity.value}")
    return found
