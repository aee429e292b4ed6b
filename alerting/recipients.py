"""Whom a step notifies: the on-call on duty for the elder's town, the elder's next contacts
in the emergency order, or the town's duty contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from alerting import oncall_repo
from alerting.channels import Recipient, RecipientRole
from alerting.policy import Notify, PolicyStep
from care import contacts_repo, towns_repo
from store.db import Conn

LAST_RESORT_KEY: Final = "last_resort"


@dataclass(frozen=True, slots=True)
class Found:
    recipients: list[Recipient]
    contacts_done: int  # contacts notified so far in this cycle, after this step


async def recipients_of(
    conn: Conn,
    step: PolicyStep,
    *,
    elder_id: str | None,
    town: str | None,
    contacts_done: int,
    repeat: bool,
    now: datetime,
) -> Found:
    """The recipients of ``step`` now. Contacts are taken in the emergency order from where
    the last contacts step stopped; a repeat of a contacts step that went through them all
    starts again from the first."""
    if step.notify is Notify.ON_CALL:
        shifts = await oncall_repo.on_duty(conn, town, now)
        return Found(
            [Recipient(RecipientRole.ON_CALL, f"on_call:{s.id}", s.name, s.phone) for s in shifts],
            contacts_done,
        )
    if step.notify is Notify.TOWN:
        duty = None if town is None else await towns_repo.duty_contact(conn, town)
        if duty is None:
            return Found([], contacts_done)
        return Found(
            [Recipient(RecipientRole.TOWN, f"town:{duty.town}", duty.name, duty.phone)],
            contacts_done,
        )
    if elder_id is None:
        return Found([], contacts_done)
    contacts = await contacts_repo.list_contacts(conn, elder_id)
    start = contacts_done
    if repeat and contacts and start >= len(contacts):
        start = 0
    chosen = contacts[start : start + step.count]
    return Found(
        [Recipient(RecipientRole.CONTACT, f"contact:{c.id}", c.name, c.phone) for c in chosen],
        start + len(chosen),
    )


def last_resort() -> Recipient:
    """Whom a critical step that found nobody is sent to: every channel, addressed to the
    on-call team as a whole (no one person is known)."""
    return Recipient(RecipientRole.ON_CALL, LAST_RESORT_KEY, None, None)
