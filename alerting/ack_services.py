"""What an ack link does (contract §2 "Notifications"): show its alert to the recipient it
was sent to (``link_view``, changes nothing), and acknowledge it as that recipient
(``ack_by_link``). The claim comes from a verified token (``alerting.ack_links``); each
runs in the caller's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from alerting import ack_repo, acking, repo
from alerting.ack_links import AckClaim
from alerting.errors import AlertConflictError, AlertNotFoundError
from alerting.models import Alert, Status
from care.audit import Actor
from store.db import Conn

log = logging.getLogger(__name__)

# How the timeline, the alert's acked_by_actor and the audit log name a link's holder.
ACTOR_PREFIX: Final = "ack-link:"
LINK_ROLE: Final = "ack_link"
# The alert's acked_by holds at most this much (alerting.models.By).
_MAX_BY: Final = 100


class LinkState(StrEnum):
    """Where the alert of a link stands, as its page shows it."""

    OPEN = "open"  # waiting for someone: the page has the confirm button
    ACKED = "acked"  # someone is on it
    CLOSED = "closed"  # resolved: the link is void, nothing to confirm
    UNKNOWN = "unknown"  # no such alert


class LinkOutcome(StrEnum):
    """What pressing the button did."""

    ACKED = "acked"
    ALREADY_ACKED = "already_acked"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the page of a link shows: only what the notification held (the alert and the
    recipient's name), and whether the ack came through this recipient's own link."""

    state: LinkState
    alert: Alert | None
    recipient_name: str | None
    acked_by_recipient: bool


def link_actor(claim: AckClaim) -> Actor:
    """The holder of a link as the timeline and the audit log name them (no person's name:
    the recipient key holds ids, or a town)."""
    return Actor(name=ACTOR_PREFIX + claim.recipient_key, role=LINK_ROLE)


async def link_view(conn: Conn, claim: AckClaim, now: datetime) -> LinkView:
    """The alert of ``claim`` and the name its recipient was sent under. Reads only: a
    link preview or a mail scanner opening the link changes nothing. (``now``: for the
    caller's clock; a link has no expiry of its own, it is void once resolved.)"""
    del now
    located = await repo.get(conn, claim.alert_id)
    if located is None:
        return LinkView(LinkState.UNKNOWN, None, None, acked_by_recipient=False)
    alert = located.alert
    recipient = await ack_repo.notified_recipient(conn, claim.alert_id, claim.recipient_key)
    acked_by = await ack_repo.acked_by_actor(conn, claim.alert_id)
    return LinkView(
        _state(Status(alert.status)),
        alert,
        None if recipient is None else recipient.recipient_name,
        acked_by_recipient=acked_by == link_actor(claim).name,
    )


async def ack_by_link(conn: Conn, claim: AckClaim, now: datetime) -> LinkOutcome:
    """Acknowledge the alert of ``claim`` as its recipient: ``acked_by`` is the name the
    notification used (its role when it had none), the actor ``ack-link:<recipient key>``;
    a timeline row and an audit record as for any ack."""
    recipient = await ack_repo.notified_recipient(conn, claim.alert_id, claim.recipient_key)
    by = _by(claim, recipient)
    try:
        acked = await acking.acknowledge_alert(
            conn, claim.alert_id, by=by, actor=link_actor(claim), now=now
        )
    except AlertNotFoundError:
        outcome = LinkOutcome.UNKNOWN
    except AlertConflictError:
        outcome = LinkOutcome.CLOSED
    else:
        outcome = LinkOutcome.ACKED if acked else LinkOutcome.ALREADY_ACKED
    log.info("ack link of alert %s (%s): %s", claim.alert_id, claim.recipient_key, outcome.value)
    return outcome


def _by(claim: AckClaim, recipient: ack_repo.NotifiedRecipient | None) -> str:
    if recipient is not None and recipient.recipient_name:
        return recipient.recipient_name[:_MAX_BY]
    if recipient is not None:
        return recipient.recipient_role
    # A token is only made for a notification; without its row, the key's role part.
    return claim.recipient_key.partition(":")[0][:_MAX_BY]


def _state(status: Status) -> LinkState:
    if status is Status.RESOLVED:
        return LinkState.CLOSED
    return LinkState.ACKED if status is Status.ACKED else LinkState.OPEN
