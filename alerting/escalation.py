"""The escalation of alerts: what opening, acking and resolving do to it, and running the
steps that are due.

An alert under escalation has one row (``alert_escalations``) with its next step and when it
is due. Running a step makes its notifications (one per recipient and channel, in the
outbox) and moves the row to the next step, in one transaction with the row locked
``FOR UPDATE SKIP LOCKED``: several escalators may run, no step runs twice, none is lost.
A step runs only while the alert is open; an ack turns the row into the ack timeout (the
alert opens again, with a reminder, if nobody resolved it by then); a resolution removes it
and tells everyone who was notified.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from alerting import escalation_repo, policy_repo, repo
from alerting.channels import Purpose, Recipient, RecipientRole
from alerting.escalation_repo import Claimed, DueEscalation, NewNotification
from alerting.models import Alert, Severity, Status, TimelineKind
from alerting.policy import Notify, Policy, PolicyStep
from alerting.recipients import last_resort, recipients_of
from store.db import Conn

log = logging.getLogger(__name__)

# After an ack timeout the person who acked (or the on-call) is reminded first; the
# escalation starts again this much later, unless someone acks or resolves meanwhile.
REMINDER_LEAD_S: Final = 120
# A notification is retried at least this long, even when the next step is due sooner.
MIN_RETRY_WINDOW_S: Final = 30
# Retries of a notification whose step is the last and does not repeat.
LAST_STEP_RETRY_WINDOW_S: Final = 600
ESCALATOR_ACTOR: Final = "escalator"
ACK_LINK_ACTOR_PREFIX: Final = "ack-link:"


async def started(conn: Conn, alert: Alert, now: datetime) -> None:
    """The alert was opened (or opened again): its escalation starts from the first step."""
    policy = await policy_repo.get_policy(conn, Severity(alert.severity))
    due = policy.due_at(now, 0)
    assert due is not None  # a policy has a first step
    await escalation_repo.start(conn, alert.id, alert.severity, now, due)
    await escalation_repo.wake(conn)


async def acked(conn: Conn, alert: Alert, now: datetime) -> None:
    """No step runs after the ack commits; the ack timeout starts."""
    policy = await policy_repo.get_policy(conn, Severity(alert.severity))
    due = now + timedelta(seconds=policy.ack_timeout_s)
    await escalation_repo.wait_for_ack_timeout(conn, alert.id, alert.severity, due)
    await escalation_repo.cancel_pending(conn, alert.id, now)
    await escalation_repo.wake(conn)


async def resolved(conn: Conn, alert_id: int, now: datetime) -> None:
    """The escalation ends; everyone a notification reached gets a short resolution notice
    on the channel that reached them."""
    await escalation_repo.stop(conn, alert_id)
    await escalation_repo.cancel_pending(conn, alert_id, now)
    reached = await escalation_repo.notified(conn, alert_id)
    notices = [
        NewNotification(
            alert_id,
            0,
            0,
            0,
            Purpose.RESOLUTION.value,
            r.recipient_role,
            r.recipient_key,
            r.recipient_name,
            r.recipient_phone,
            r.channel,
            now + timedelta(seconds=LAST_STEP_RETRY_WINDOW_S),
        )
        for r in reached
    ]
    if notices:
        await escalation_repo.add_notifications(
            conn, notices, now, claimed_by=None, lease_until=None
        )
        await escalation_repo.wake(conn)


@dataclass(slots=True)
class StepRun:
    """What a turn of due steps did: the notifications it claimed for sending, the alerts
    they are of (as the turn left them), and how late each step ran (seconds)."""

    claimed: list[Claimed] = field(default_factory=list)
    alerts: dict[int, Alert] = field(default_factory=dict)
    lateness_s: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Seat:
    """Who runs the steps: its channels, its name on the claims, and its lease. ``chain``:
    those of ``channels`` that are each recipient's fallback chain, in order (the apprise
    channels); the others (the webhook) get every notification."""

    channels: Sequence[str]
    claimed_by: str
    lease_until: datetime
    chain: Sequence[str] = ()

    def made_on(self, purpose: Purpose) -> list[str]:
        """The channels a step's notification goes to at once: every channel outside the
        chain and the chain's first (the delivery moves on to the next when an attempt
        fails); a last resort goes to every channel."""
        if purpose is Purpose.LAST_RESORT or not self.chain:
            return list(self.channels)
        return [c for c in self.channels if c not in self.chain] + [self.chain[0]]


async def run_due_steps(conn: Conn, now: datetime, seat: Seat, limit: int) -> StepRun:
    """Run the steps due by ``now`` that no other escalator holds (at most ``limit``), in
    the caller's transaction."""
    run = StepRun()
    due = await escalation_repo.claim_due(conn, now, limit)
    if not due:
        return run
    # The alerts are locked, skipping those being changed (an ack, a new event: their steps
    # run next turn): a turn never waits for a lock, so it cannot deadlock with an ack that
    # holds its alert and waits for the escalation row. An ack that comes during the turn
    # waits for its commit, and the notifications made here go out right after it.
    alerts = await repo.get_many(conn, [d.alert_id for d in due], lock=True)
    policies: dict[str, Policy] = {}
    for esc in due:
        located = alerts.get(esc.alert_id)
        if located is None:
            continue
        policy = policies.get(esc.severity)
        if policy is None:
            policy = await policy_repo.get_policy(conn, Severity(esc.severity))
            policies[esc.severity] = policy
        run.lateness_s.append((now - esc.due_at).total_seconds())
        claimed = await _run_one(conn, esc, located, policy, now=now, seat=seat)
        run.claimed += claimed
    if run.claimed:
        fresh = await repo.get_many(conn, sorted({c.alert_id for c in run.claimed}))
        run.alerts = {alert_id: located.alert for alert_id, located in fresh.items()}
    return run


async def _run_one(
    conn: Conn,
    esc: DueEscalation,
    located: repo.Located,
    policy: Policy,
    *,
    now: datetime,
    seat: Seat,
) -> list[Claimed]:
    alert = located.alert
    status = Status(alert.status)
    if status is Status.RESOLVED:
        await escalation_repo.stop(conn, alert.id)
        return []
    if status is Status.ACKED:
        if esc.phase == "ack_timeout":
            return await _ack_timed_out(conn, esc, located, policy, now=now, seat=seat)
        # Acked between the step's claim and now (an ack hook always moves the row).
        await escalation_repo.wait_for_ack_timeout(
            conn, alert.id, alert.severity, now + timedelta(seconds=policy.ack_timeout_s)
        )
        return []
    return await _run_step(conn, esc, located, policy, now=now, seat=seat)


async def _run_step(
    conn: Conn,
    esc: DueEscalation,
    located: repo.Located,
    policy: Policy,
    *,
    now: datetime,
    seat: Seat,
) -> list[Claimed]:
    alert = located.alert
    index = esc.next_step
    step = policy.step(index)
    last = len(policy.steps) - 1
    found = await recipients_of(
        conn,
        step,
        elder_id=alert.elder_id,
        town=located.town,
        contacts_done=esc.contacts_done,
        repeat=index > last,
        now=now,
    )
    next_due = policy.due_at(esc.started_at, index + 1)
    detail: dict[str, object] = {"step": index, "notify": step.notify.value, "cycle": esc.cycle}
    recipients = found.recipients
    purpose = Purpose.ALERT
    if not recipients:
        await repo.add_timeline(
            conn, alert.id, "step_skipped", now, actor=ESCALATOR_ACTOR, detail=detail
        )
        log.warning("alert %s: escalation step %s found nobody to notify", alert.id, index)
        if index < last:
            next_due = now  # nobody left out: the next step runs at once
        if Severity(alert.severity) is Severity.CRITICAL:
            recipients, purpose = [last_resort()], Purpose.LAST_RESORT
    give_up = _give_up_at(now, next_due)
    made = _made(
        recipients,
        seat.made_on(purpose),
        alert_id=alert.id,
        cycle=esc.cycle,
        step=index,
        level=policy.level(index),
        purpose=purpose,
        give_up_at=give_up,
    )
    claimed = await escalation_repo.add_notifications(
        conn, made, now, claimed_by=seat.claimed_by, lease_until=seat.lease_until
    )
    if recipients:
        await escalation_repo.raise_level(conn, alert.id, policy.level(index))
        kind = "last_resort" if purpose is Purpose.LAST_RESORT else "escalated"
        detail.update(level=policy.level(index), recipients=len(recipients))
        if not seat.channels:
            detail["error"] = "no notification channel is configured"
        await repo.add_timeline(conn, alert.id, kind, now, actor=ESCALATOR_ACTOR, detail=detail)
    await escalation_repo.advance(conn, alert.id, index + 1, next_due, found.contacts_done)
    return claimed


async def _ack_timed_out(
    conn: Conn,
    esc: DueEscalation,
    located: repo.Located,
    policy: Policy,
    *,
    now: datetime,
    seat: Seat,
) -> list[Claimed]:
    """Nobody resolved the acked alert in time: it is open again, whoever acked is reminded,
    and the escalation starts again ``REMINDER_LEAD_S`` later."""
    alert = located.alert
    reminded = await _reminded(conn, alert, located.town, now)
    await escalation_repo.reopen_acked(conn, alert.id)
    await repo.add_timeline(
        conn,
        alert.id,
        TimelineKind.REOPENED,
        now,
        actor=ESCALATOR_ACTOR,
        detail={"reason": "ack_timeout", "acked_by": alert.acked_by},
    )
    restart = now + timedelta(seconds=REMINDER_LEAD_S)
    first = policy.due_at(restart, 0)
    assert first is not None
    await escalation_repo.start(conn, alert.id, alert.severity, restart, first)
    made = _made(
        reminded,
        seat.made_on(Purpose.REMINDER),
        alert_id=alert.id,
        cycle=esc.cycle + 1,
        step=-1,
        level=alert.escalation_level,
        purpose=Purpose.REMINDER,
        give_up_at=_give_up_at(now, first),
    )
    log.info("alert %s: acked %ss ago and not resolved: open again", alert.id, policy.ack_timeout_s)
    return await escalation_repo.add_notifications(
        conn, made, now, claimed_by=seat.claimed_by, lease_until=seat.lease_until
    )


async def _reminded(conn: Conn, alert: Alert, town: str | None, now: datetime) -> list[Recipient]:
    """Whom an ack timeout reminds: the recipient who acked through their link, else the
    on-call on duty."""
    acker = await escalation_repo.acked_by_actor(conn, alert.id)
    if acker is not None and acker.startswith(ACK_LINK_ACTOR_PREFIX):
        key = acker.removeprefix(ACK_LINK_ACTOR_PREFIX)
        for r in await escalation_repo.notified(conn, alert.id, key):
            return [
                Recipient(RecipientRole(r.recipient_role), key, r.recipient_name, r.recipient_phone)
            ]
    on_call = PolicyStep(after_s=0, notify=Notify.ON_CALL)
    found = await recipients_of(
        conn, on_call, elder_id=alert.elder_id, town=town, contacts_done=0, repeat=False, now=now
    )
    return found.recipients


def _give_up_at(now: datetime, next_due: datetime | None) -> datetime:
    """Retries run until the next step is due (at least ``MIN_RETRY_WINDOW_S``)."""
    floor = now + timedelta(seconds=MIN_RETRY_WINDOW_S)
    if next_due is None:
        return now + timedelta(seconds=LAST_STEP_RETRY_WINDOW_S)
    return max(floor, next_due)


def _made(
    recipients: list[Recipient],
    channels: list[str],
    *,
    alert_id: int,
    cycle: int,
    step: int,
    level: int,
    purpose: Purpose,
    give_up_at: datetime,
) -> list[NewNotification]:
    """One notification per recipient and channel."""
    return [
        NewNotification(
            alert_id,
            cycle,
            step,
            level,
            purpose.value,
            r.role.value,
            r.key,
            r.name,
            r.phone,
            channel,
            give_up_at,
        )
        for r in recipients
        for channel in channels
    ]
