"""Alerts that resolve themselves: the condition is gone (a device is heard again, its
battery is charged, a gateway is back). The system resolves the active alert with an
outcome and a timeline row saying why; a person has nothing left to do."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from alerting import escalation, health_repo, lifecycle, repo
from alerting.models import Alert, AlertType, Outcome, TimelineKind
from store.db import Conn

log = logging.getLogger(__name__)

SYSTEM_ACTOR: Final = "system"
DEVICE_BACK: Final = "device back"
BATTERY_OK: Final = "battery charged"
GATEWAY_BACK: Final = "gateway back"


async def clear_alert(
    conn: Conn,
    alert_type: AlertType,
    subject: str,
    now: datetime,
    *,
    reason: str,
    outcome: Outcome = Outcome.DEVICE_FAULT,
) -> Alert | None:
    """Resolve the open or acked alert of (``alert_type``, ``subject``), by the system, with
    ``outcome`` and a timeline row ``cleared: <reason>``. Returns it; None when there was
    none (already resolved, by a person or by another process's sweep)."""
    alert_id = await health_repo.active_alert_id(conn, alert_type.value, subject)
    if alert_id is None:
        return None
    resolved = await repo.resolve(
        conn,
        alert_id,
        by=SYSTEM_ACTOR,
        actor=SYSTEM_ACTOR,
        outcome=outcome.value,
        notes=f"cleared: {reason}",
        now=now,
    )
    if resolved is None:
        return None
    await escalation.resolved(conn, alert_id, now)
    await repo.add_timeline(
        conn,
        alert_id,
        TimelineKind.CLEARED,
        now,
        actor=SYSTEM_ACTOR,
        detail={"reason": reason, "outcome": outcome.value},
    )
    log.info("alert %s cleared (%s): type %s", alert_id, reason, alert_type.value)
    return resolved


async def clear_device_alert(
    conn: Conn, alert_type: AlertType, device_id: str, now: datetime, *, reason: str
) -> Alert | None:
    """``clear_alert`` of a device-health alert (subject ``device:<id>``)."""
    subject = lifecycle.subject_of(alert_type, None, device_id)
    return await clear_alert(conn, alert_type, subject, now, reason=reason)
