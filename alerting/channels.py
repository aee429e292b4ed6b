"""What a notification channel is: it takes a ``Notice`` and tells how the attempt went.

The escalator does not know the transport: the webhook (``alerting.webhook``) is one
channel; apprise URLs (SMS gateways, e-mail, WeCom/DingTalk bots) are others. A channel
never raises for a failed delivery: it answers an ``Attempt`` saying what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class RecipientRole(StrEnum):
    ON_CALL = "on_call"
    CONTACT = "contact"
    TOWN = "town"


class Purpose(StrEnum):
    ALERT = "alert"  # a step of the escalation
    REMINDER = "reminder"  # an acked alert nobody resolved is open again
    RESOLUTION = "resolution"  # the alert is resolved: stand down
    LAST_RESORT = "last_resort"  # a critical step found nobody: every channel is told


@dataclass(frozen=True, slots=True)
class Recipient:
    role: RecipientRole
    key: str  # stable per person and alert: "on_call:<shift id>", "contact:<id>", "town:<name>"
    name: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to deliver. ``alert`` is the alert object of the contract (ids as
    strings); ``ack_url`` is None for a resolution notice (nothing to ack)."""

    notification_id: int
    purpose: Purpose
    alert: dict[str, Any]
    recipient: Recipient
    level: int
    sent_at: datetime
    ack_url: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one delivery attempt went. ``result``: what the far end said (``"200"``,
    ``"timeout"``, ``"refused"``…); ``retry``: whether trying again may help (a 4xx other
    than 408/429 will not)."""

    ok: bool
    result: str
    duration_ms: int
    error: str | None = None
    retry: bool = True


class Channel(Protocol):
    """A notification channel; ``name`` goes into the timeline (``webhook``, ``apprise:…``).

    A channel is a machine integration (the webhook: it gets every notification) unless it
    says ``chained = True`` (``falls_back``): then it is a link of each recipient's fallback
    chain, tried in order until one reaches the person."""

    @property
    def name(self) -> str: ...

    async def send(self, notice: Notice) -> Attempt: ...

    async def aclose(self) -> None: ...


def falls_back(channel: Channel) -> bool:
    """Whether ``channel`` is a link of the recipients' fallback chain (``chained = True``:
    the apprise channels) rather than a machine integration that gets every notification."""
    return getattr(channel, "chained", False) is True
