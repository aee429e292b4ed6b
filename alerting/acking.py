"""Acknowledging an alert, whoever does it: a person through the API
(``alerting.services.acknowledge``) or a recipient through an ack link
(``alerting.ack_services``). One place, so that what an ack sets off (stopping the
escalation) is done once for every way in."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from alerting import escalation, lifecycle, repo
from alerting.errors import AlertNotFoundError
from alerting.models import Status, TimelineKind
from care import audit_repo
from care.audit import Actor
from store.db import Conn

log = logging.getLogger(__name__)

ENTITY: Final = "alert"
ACK: Final = "ack"


async def acknowledge_alert(
    conn: Conn, alert_id: int, *, by: str, actor: Actor, now: datetime
) -> bool:
    """Acknowledge an open alert in the caller's transaction: the alert (``acked_by`` =
    ``by``), a timeline row ``acked`` and an audit record name who. True when this call
    acknowledged it; False when it was acked already (nothing changes). Raises
    ``AlertNotFoundError`` (no such alert) and ``AlertConflictError`` (resolved). The
    caller checks whether ``actor`` may see the alert."""
    located = await repo.get(conn, alert_id, lock=True)
    if located is None:
        raise AlertNotFoundError("no such alert")
    lifecycle.check_ack(Status(located.alert.status))
    acked = await repo.acknowledge(conn, alert_id, by, actor.name, now)
    if acked is None:
        return False
    await escalation.acked(conn, acked, now)
    await repo.add_timeline(conn, alert_id, TimelineKind.ACKED, now, actor=actor.name, who=by)
    await audit_repo.record(
        conn, actor, ACK, ENTITY, str(alert_id), town=located.town, detail={"by": by}
    )
    log.info("alert %s acked by %s", alert_id, actor.name)
    return True
