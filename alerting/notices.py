"""What a notification carries: the contract's alert object, built from a stored alert."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerting.channels import Notice, Purpose, Recipient, RecipientRole
from alerting.escalation_repo import Claimed
from alerting.models import Alert


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def alert_object(alert: Alert) -> dict[str, Any]:
    """The alert as the contract's notifications and API show it (the id as a string);
    nothing more personal than the elder's id."""
    return {
        "id": str(alert.id),
        "type": alert.type,
        "severity": alert.severity,
        "elder_id": alert.elder_id,
        "device_id": alert.device_id,
        "status": alert.status,
        "opened_at": _iso(alert.opened_at),
        "acked_at": _iso(alert.acked_at),
        "resolved_at": _iso(alert.resolved_at),
        "escalation_level": alert.escalation_level,
        "summary": alert.summary,
        "count": alert.count,
        "cancelled_by_elder": alert.cancelled_by_elder,
    }


def notice_of(claimed: Claimed, alert: Alert, sent_at: datetime, ack_url: str | None) -> Notice:
    """The notice of a claimed notification (a resolution notice has no ack link)."""
    purpose = Purpose(claimed.purpose)
    return Notice(
        notification_id=claimed.id,
        purpose=purpose,
        alert=alert_object(alert),
        recipient=Recipient(
            RecipientRole(claimed.recipient_role),
            claimed.recipient_key,
            claimed.recipient_name,
            claimed.recipient_phone,
        ),
        level=claimed.level,
        sent_at=sent_at,
        ack_url=None if purpose is Purpose.RESOLUTION else ack_url,
    )
