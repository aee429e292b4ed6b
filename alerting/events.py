"""From stored events to alerts: the critical kinds (``sos``, ``fall``, ``smoke``, ``gas``)
open or refresh their alert, and an elder's ``cancel`` marks the sos alert it follows.

``record_event_alerts`` runs inside the transaction that stores the events (the gateway's
in-transaction step, composed by ``tanfang.runtime``): a stored SOS always has its alert.
When that step fails, the events are stored without it, and ``reconcile_event_alerts``
(its reconcile) opens what is missing from the events received in the last
``RECONCILE_WINDOW``: every event an alert counted is recorded against it (``alert_events``),
so the ones without are found, and none is counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from alerting import lifecycle, repo
from alerting.models import AlertSignal, Change, EventKey
from alerting.services import cancel_sos, open_alert
from store.db import Conn

# Kinds the step waits for: a batch holding none of them costs nothing.
ALERT_KINDS: Final = frozenset({*lifecycle.CRITICAL_EVENT_TYPES, lifecycle.CANCEL_KIND})
GATEWAY_ACTOR: Final = "gateway"
RECONCILE_ACTOR: Final = "reconcile"
# How far back (by receive time) the reconcile looks for events no alert counted. A failed
# step is reconciled within a second (gateway.reconcile retries it); the window covers a
# gateway that stopped right after the failure and an hour's restart. An older emergency is
# history, not a call to page someone now.
RECONCILE_WINDOW: Final = timedelta(hours=1)


class StoredEvent(Protocol):
    """What alerting needs of a stored event (``devices.schema.Event`` has it)."""

    @property
    def device_id(self) -> str: ...
    @property
    def ts(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def received_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Tally:
    opened: int = 0
    counted: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.opened + self.counted + self.cancelled


async def record_event_alerts(
    conn: Conn,
    events: Sequence[StoredEvent],
    elder_ids: Sequence[str | None],
    cancel_window: timedelta,
    *,
    actor: str = GATEWAY_ACTOR,
    now: datetime | None = None,
) -> Tally:
    """Open or refresh the alerts of the critical events among ``events`` and apply their
    cancels, in the caller's transaction, oldest first. ``elder_ids[i]`` is the elder of
    ``events[i]``. Each event's ``now`` is its receive time unless ``now`` is given."""
    opened = counted = cancelled = 0
    ordered = sorted(zip(events, elder_ids, strict=True), key=lambda pair: pair[0].ts)
    for event, elder_id in ordered:
        at = now or event.received_at
        key = EventKey(event.device_id, event.ts, event.kind)
        if event.kind == lifecycle.CANCEL_KIND:
            cancelled += await cancel_sos(conn, key, cancel_window, at) is not None
            continue
        alert_type = lifecycle.alert_type_of_event(event.kind, event.value)
        if alert_type is None:
            continue
        signal = AlertSignal(alert_type, elder_id, event.device_id, event=key, actor=actor)
        change = (await open_alert(conn, signal, at)).change
        opened += change in (Change.OPENED, Change.REOPENED)
        counted += change is Change.REFRESHED
    return Tally(opened, counted, cancelled)


@dataclass(frozen=True, slots=True)
class _Found:
    device_id: str
    ts: datetime
    kind: str
    value: float | None
    received_at: datetime


async def reconcile_event_alerts(conn: Conn, now: datetime, cancel_window: timedelta) -> int:
    """Open (or count, or cancel) for the critical events and cancels received in the last
    ``RECONCILE_WINDOW`` that no alert has counted, in the caller's transaction. Idempotent,
    and one at a time across gateways. Returns how many events it took."""
    await repo.lock_reconcile(conn)
    found = await repo.unseen_events(conn, now - RECONCILE_WINDOW)
    if not found:
        return 0
    events = [_Found(e.device_id, e.ts, e.kind, e.value, now) for e in found]
    await record_event_alerts(
        conn,
        events,
        [e.elder_id for e in found],
        cancel_window,
        actor=RECONCILE_ACTOR,
        now=now,
    )
    return len(found)
