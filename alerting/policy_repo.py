"""SQL of the escalation policies (one row per severity, shipped by migration 0042). The
stored jsonb ``steps`` come back validated into ``PolicyStep``s. Callers own the
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from psycopg import sql
from psycopg.types.json import Jsonb

from alerting.errors import PolicyNotFoundError
from alerting.models import Severity
from alerting.policy import Policy, PolicyStep
from store.db import Conn, fetch_rows

_COLUMNS: Final = sql.SQL("severity, steps, repeat_after_s, ack_timeout_s, updated_at, updated_by")
# Most urgent first, the order the API lists them in.
_ORDER: Final = sql.SQL(
    "ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END"
)
_ALL: Final = sql.SQL("SELECT {} FROM escalation_policies {}").format(_COLUMNS, _ORDER)
_ONE: Final = sql.SQL("SELECT {} FROM escalation_policies WHERE severity = %s").format(_COLUMNS)
_PUT: Final = sql.SQL(
    "INSERT INTO escalation_policies AS p"
    " (severity, steps, repeat_after_s, ack_timeout_s, updated_at, updated_by)"
    " VALUES (%(severity)s, %(steps)s, %(repeat_after_s)s, %(ack_timeout_s)s, %(now)s, %(by)s)"
    " ON CONFLICT (severity) DO UPDATE SET steps = EXCLUDED.steps,"
    " repeat_after_s = EXCLUDED.repeat_after_s, ack_timeout_s = EXCLUDED.ack_timeout_s,"
    " updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"
    " RETURNING {}"
).format(_COLUMNS)
_LOCK: Final = sql.SQL("{} FOR UPDATE").format(_ONE)


async def all_policies(conn: Conn) -> list[Policy]:
    """Every stored policy, critical first."""
    return [Policy.model_validate(row) for row in await fetch_rows(conn, _ALL, ())]


async def get_policy(conn: Conn, severity: Severity) -> Policy:
    """The policy of ``severity``; PolicyNotFoundError when its row is gone (the migration
    ships one per severity)."""
    found = await find_policy(conn, severity)
    if found is None:
        raise PolicyNotFoundError(f"no escalation policy for severity {severity.value}")
    return found


async def find_policy(conn: Conn, severity: Severity, *, lock: bool = False) -> Policy | None:
    """The policy of ``severity``, or None; ``lock`` holds its row until the transaction
    ends."""
    rows = await fetch_rows(conn, _LOCK if lock else _ONE, (severity.value,))
    return Policy.model_validate(rows[0]) if rows else None


async def put_policy(
    conn: Conn,
    severity: Severity,
    steps: list[PolicyStep],
    *,
    repeat_after_s: int,
    ack_timeout_s: int,
    now: datetime,
    by: str,
) -> Policy:
    """Store the policy of ``severity`` whole, stamped with ``now`` and ``by``."""
    params = {
        "severity": severity.value,
        "steps": Jsonb([step.model_dump(mode="json") for step in steps]),
        "repeat_after_s": repeat_after_s,
        "ack_timeout_s": ack_timeout_s,
        "now": now,
        "by": by,
    }
    rows = await fetch_rows(conn, _PUT, params)
    return Policy.model_validate(rows[0])
