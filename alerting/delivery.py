"""Delivering claimed notifications through their channels, each on its own task.

A slow or dead receiver holds its own deliveries only: every notification is a task of its
own (a channel bounds how many it has in flight), so no alert waits behind another. How
each attempt went is recorded in a batch (``record``): the notification's state (sent,
retried with backoff until ``give_up_at``, failed) and a timeline row with the channel, the
result, the error and the duration. A failed attempt on a channel of the recipient's
fallback chain makes, in the same transaction, the notification on the chain's next channel
("keep trying until reached"). While a notification is being sent its lease is renewed
(``renew``), so that another escalator takes it over only when this one is dead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from alerting import escalation_repo, repo
from alerting.channels import Attempt, Channel, Purpose
from alerting.escalation_repo import Claimed, Fallback, Outcome
from alerting.metrics import NOTIFICATIONS, NOTIFY_SECONDS
from alerting.models import Alert, Status
from alerting.notices import notice_of
from alerting.repo import NewEntry
from store.pool import Pool

log = logging.getLogger(__name__)

# Retries wait 1, 2, 4 … s (capped), until the notification's give-up time.
BACKOFF_FIRST_S: Final = 1.0
BACKOFF_MAX_S: Final = 60.0
# A notification that asks for an ack is sent only while its alert is open.
_NEEDS_OPEN: Final = frozenset({Purpose.ALERT, Purpose.LAST_RESORT, Purpose.REMINDER})
# Those that move on along the recipient's fallback chain when an attempt fails (a
# resolution notice goes where the alert reached; a last resort went everywhere at once).
_FALLS_BACK: Final = frozenset({Purpose.ALERT, Purpose.REMINDER})
ACTOR: Final = "escalator"

# Deliveries in flight at once per channel (TANFANG_WEBHOOK_CONCURRENCY): a receiver that
# hangs holds at most this many; the rest wait their turn.
DEFAULT_CONCURRENCY: Final = 64

# The ack link of (alert id, recipient key).
AckUrls = Callable[[int, str], str | None]


class Deliverer:
    def __init__(
        self,
        pool: Pool,
        channels: Mapping[str, Channel],
        *,
        claimed_by: str,
        ack_urls: AckUrls,
        clock: Callable[[], datetime],
        concurrency: int = DEFAULT_CONCURRENCY,
        chain: Sequence[str] = (),
    ) -> None:
        """``chain``: the channels of each recipient's fallback chain, in order; a failed
        attempt on one makes the notification on the next at once (the failed one keeps
        its retries)."""
        self._pool = pool
        self._channels = channels
        self._chain = tuple(chain)
        self._claimed_by = claimed_by
        self._ack_urls = ack_urls
        self._clock = clock
        self._slots = {name: asyncio.Semaphore(concurrency) for name in channels}
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        self._done: list[tuple[Outcome, NewEntry]] = []
        self._fallbacks: list[Fallback] = []
        self.recorded = asyncio.Event()  # set when there is something to record

    @property
    def in_flight(self) -> frozenset[int]:
        return frozenset(self._in_flight)

    async def dispatch(
        self, claimed: list[Claimed], alerts: dict[int, Alert] | None = None
    ) -> None:
        """Start delivering ``claimed`` (one task each); those whose alert is no longer
        open when they ask for an ack are cancelled instead. ``alerts``: their alerts as
        just read in the transaction that claimed them (else they are read now)."""
        if not claimed:
            return
        if alerts is None:
            async with self._pool.connection() as conn:
                found = await repo.get_many(conn, sorted({c.alert_id for c in claimed}))
            alerts = {alert_id: located.alert for alert_id, located in found.items()}
        now = self._clock()
        for c in claimed:
            alert = alerts.get(c.alert_id)
            if alert is None or _stale(c, alert):
                status = "gone" if alert is None else alert.status
                self._finish(c, Outcome(c.id, "cancelled", now, None, f"alert {status}"), None)
                continue
            self._in_flight.add(c.id)
            task = asyncio.create_task(self._deliver(c, alert), name=f"notify-{c.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, claimed: Claimed, alert: Alert) -> None:
        channel = self._channels.get(claimed.channel)
        if channel is None:
            attempt = Attempt(False, "no_channel", 0, "channel not configured here", retry=False)
            self._finish(claimed, _outcome(claimed, attempt, self._clock()), attempt)
            return
        async with self._slots[claimed.channel]:
            # Taken before the check: a notification whose alert is seen open was decided
            # before any ack committed (``repo.open_for_sending``), and says so.
            sent_at = self._clock()
            if not await self._still_wanted(claimed):
                outcome = Outcome(claimed.id, "cancelled", self._clock(), None, "alert not open")
                self._finish(claimed, outcome, None)
                return
            ack_url = self._ack_urls(alert.id, claimed.recipient_key)
            try:
                attempt = await channel.send(notice_of(claimed, alert, sent_at, ack_url))
            except Exception as exc:
                # A channel must not raise; one that does fails this attempt, not the loop.
                log.exception("notification %s: channel %s raised", claimed.id, claimed.channel)
                attempt = Attempt(False, "error", 0, type(exc).__name__)
        self._finish(claimed, _outcome(claimed, attempt, self._clock()), attempt)

    async def _still_wanted(self, claimed: Claimed) -> bool:
        """A notification asking for an ack goes only while its alert is open: an ack
        committed since the claim (on another loop, in another process) stops it here."""
        if Purpose(claimed.purpose) not in _NEEDS_OPEN:
            return True
        async with self._pool.connection() as conn:
            return await repo.open_for_sending(conn, claimed.alert_id)

    def _finish(self, claimed: Claimed, outcome: Outcome, attempt: Attempt | None) -> None:
        self._in_flight.discard(claimed.id)
        NOTIFICATIONS.labels(claimed.channel, _label(outcome)).inc()
        if attempt is not None:
            NOTIFY_SECONDS.labels(claimed.channel).observe(attempt.duration_ms / 1000)
        kind = "notified" if outcome.status == "sent" else "notify_failed"
        if attempt is None:
            kind = "not_sent"
        fallback = None if attempt is None or attempt.ok else self._next_in_chain(claimed)
        if fallback is not None:
            self._fallbacks.append(Fallback(claimed.id, fallback, outcome.at))
        entry = NewEntry(
            claimed.alert_id,
            outcome.at,
            kind,
            actor=ACTOR,
            who=claimed.recipient_name or claimed.recipient_role,
            channel=claimed.channel,
            result=None if attempt is None else attempt.result,
            error=outcome.error,
            duration_ms=None if attempt is None else attempt.duration_ms,
            detail={
                "notification_id": str(claimed.id),
                "purpose": claimed.purpose,
                "level": claimed.level,
                "recipient_role": claimed.recipient_role,
                "recipient_key": claimed.recipient_key,
                "attempt": claimed.attempts,
                "next_attempt_at": None
                if outcome.next_attempt_at is None
                else outcome.next_attempt_at.isoformat(),
                **({} if fallback is None else {"fallback": fallback}),
            },
        )
        self._done.append((outcome, entry))
        self.recorded.set()

    def _next_in_chain(self, claimed: Claimed) -> str | None:
        """The channel after the claimed one in the recipient's chain, if any."""
        if Purpose(claimed.purpose) not in _FALLS_BACK or claimed.channel not in self._chain:
            return None
        index = self._chain.index(claimed.channel)
        return self._chain[index + 1] if index + 1 < len(self._chain) else None

    async def record(self) -> int:
        """Write down how the finished attempts went, in one transaction. On a database
        fault they are kept and written next time."""
        self.recorded.clear()
        done, self._done = self._done, []
        fallbacks, self._fallbacks = self._fallbacks, []
        if not done:
            return 0
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await escalation_repo.settle(conn, [o for o, _ in done], self._claimed_by)
                await repo.add_timeline_many(conn, [e for _, e in done])
                if fallbacks:
                    await escalation_repo.add_fallbacks(conn, fallbacks)
                    await escalation_repo.wake(conn)
        except BaseException:
            self._done[:0] = done
            self._fallbacks[:0] = fallbacks
            raise
        return len(done)

    async def renew(self, lease_until: datetime) -> None:
        ids = sorted(self._in_flight)
        if not ids:
            return
        async with self._pool.connection() as conn, conn.transaction():
            await escalation_repo.renew_leases(
                conn, ids, claimed_by=self._claimed_by, lease_until=lease_until
            )

    async def drain(self, timeout_s: float) -> None:
        """Let the deliveries in flight finish (at most ``timeout_s``), then cancel the rest:
        their leases run out and another escalator sends them."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def _stale(claimed: Claimed, alert: Alert) -> bool:
    return Purpose(claimed.purpose) in _NEEDS_OPEN and alert.status != Status.OPEN.value


def _outcome(claimed: Claimed, attempt: Attempt, now: datetime) -> Outcome:
    if attempt.ok:
        return Outcome(claimed.id, "sent", now, None, None)
    delay = min(BACKOFF_FIRST_S * 2 ** max(claimed.attempts - 1, 0), BACKOFF_MAX_S)
    retry_at = now + timedelta(seconds=delay)
    if attempt.retry and retry_at < claimed.give_up_at:
        return Outcome(claimed.id, "pending", now, retry_at, attempt.error or attempt.result)
    return Outcome(claimed.id, "failed", now, None, attempt.error or attempt.result)


def _label(outcome: Outcome) -> str:
    return "retry" if outcome.status == "pending" else outcome.status
