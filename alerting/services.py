"""Alert use cases: opening or refreshing an alert (``open_alert``, what detectors, device
health and the gateway's critical-event step call), an elder's cancel, and what the API
does — list, read with the timeline, acknowledge, resolve — with the town rule and the
audit record. Each runs in the caller's transaction; ``now`` is passed in."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from alerting import acking, escalation, lifecycle, repo
from alerting.errors import AlertForbiddenError, AlertNotFoundError
from alerting.models import (
    AckRequest,
    Alert,
    AlertChange,
    AlertSignal,
    AlertType,
    AlertView,
    Change,
    EventKey,
    ResolveRequest,
    Status,
    TimelineKind,
)
from care import audit_repo
from care import repo as care_repo
from care.access import TOWN_STAFF, check_town, may_see_town, scope_town
from care.audit import Actor
from store.db import Conn, below, equals, where

log = logging.getLogger(__name__)

NO_SUCH_ALERT: Final = "no such alert"
ENTITY: Final = "alert"
RESOLVE: Final = "resolve"
ELDER_ACTOR: Final = "elder"


async def open_alert(conn: Conn, signal: AlertSignal, now: datetime) -> AlertChange:
    """Open the alert of ``signal``'s condition, or count the signal on the one open or
    acked (a critical signal opens an acked one again), and start its escalation (not for
    a groupable signal with ``escalate`` False: a storm's grouped alert). Safe under
    concurrency: the database keeps one active alert per condition. A signal whose
    ``event`` was counted before changes nothing (``Change.DUPLICATE``)."""
    if signal.event is not None and await repo.event_seen(conn, signal.event):
        located = await _alert_of_event(conn, signal)
        return AlertChange(Change.DUPLICATE, located)
    severity = lifecycle.severity_of(signal.type, signal.severity)
    summary = signal.summary
    if summary is None:
        device_type, room = (
            await repo.device_place(conn, signal.device_id) if signal.device_id else (None, None)
        )
        summary = lifecycle.summary_of(signal.type, device_type, room)
    done = await repo.upsert(
        conn,
        alert_type=signal.type.value,
        severity=severity.value,
        subject=lifecycle.subject_of(signal.type, signal.elder_id, signal.device_id, signal.town),
        elder_id=signal.elder_id,
        device_id=signal.device_id,
        summary=summary,
        reopen=lifecycle.reopens(severity),
        now=now,
        town=signal.town,
    )
    change = Change(done.change)
    # Only a groupable alert may wait under a storm incident; an emergency escalates at
    # once whatever its signal says.
    held = not signal.escalate and signal.type in lifecycle.GROUPABLE
    if change in (Change.OPENED, Change.REOPENED) and not held:
        await escalation.started(conn, done.alert, now)
    if change is not Change.REFRESHED:
        await repo.add_timeline(
            conn, done.alert.id, change.value, now, actor=signal.actor, detail=_detail(signal)
        )
        log.info(
            "alert %s %s: type %s, elder %s, device %s",
            done.alert.id,
            change.value,
            signal.type.value,
            signal.elder_id,
            signal.device_id,
        )
    if signal.event is not None:
        await repo.attach_event(conn, signal.event, done.alert.id)
    return AlertChange(change, done.alert)


async def _alert_of_event(conn: Conn, signal: AlertSignal) -> Alert:
    assert signal.event is not None
    alert_id = await repo.alert_of_event(conn, signal.event)
    located = None if alert_id is None else await repo.get(conn, alert_id)
    if located is None:
        raise AlertNotFoundError(NO_SUCH_ALERT)
    return located.alert


def _detail(signal: AlertSignal) -> dict[str, object]:
    detail: dict[str, object] = dict(signal.detail)
    if signal.event is not None:
        detail.update(event_kind=signal.event.kind, event_ts=signal.event.ts.isoformat())
    if signal.device_id is not None:
        detail["device_id"] = signal.device_id
    return detail


async def cancel_sos(conn: Conn, event: EventKey, window: timedelta, now: datetime) -> Alert | None:
    """An elder's ``cancel`` (``event``): the active sos alert raised by a press of the same
    device within ``window`` before it is marked cancelled by the elder, with a timeline
    row, and stays open for the on-call to confirm. Nothing else changes: without such an
    alert the cancel is only stored. Returns the alert marked, if any."""
    if await repo.event_seen(conn, event):
        return None
    alert_id = await repo.cancellable_sos(conn, event.device_id, event.ts, event.ts - window)
    await repo.attach_event(conn, event, alert_id)
    if alert_id is None:
        return None
    if await repo.mark_cancelled(conn, alert_id, now):
        await repo.add_timeline(
            conn,
            alert_id,
            TimelineKind.CANCELLED_BY_ELDER,
            now,
            actor=ELDER_ACTOR,
            detail={"device_id": event.device_id, "event_ts": event.ts.isoformat()},
        )
        log.info("alert %s cancelled by the elder (device %s)", alert_id, event.device_id)
    located = await repo.get(conn, alert_id)
    return None if located is None else located.alert


async def list_alerts(
    conn: Conn,
    actor: Actor,
    *,
    status: Status | None,
    elder_id: str | None,
    alert_type: AlertType | None,
    before_id: int | None,
    limit: int,
) -> list[Alert]:
    """Alerts newest first; town staff see their own town's elders' only (an elder of
    another town asked for by id: 403)."""
    town = scope_town(actor, None)
    if actor.role == TOWN_STAFF and town is None:
        return []  # a town staff token without a town sees no town
    if elder_id is not None and town is not None:
        elder = await care_repo.get_elder(conn, elder_id)
        if elder is not None:
            check_town(actor, elder.town, "alerts", elder_id)
    conditions = where(
        equals("status", None if status is None else status.value),
        equals("elder_id", elder_id),
        equals("type", None if alert_type is None else alert_type.value),
        equals("town", town),
        below("id", before_id),
    )
    return await repo.list_alerts(conn, conditions, limit + 1)


async def alert_view(conn: Conn, actor: Actor, alert_id: int) -> AlertView:
    located = await _visible(conn, actor, alert_id)
    return AlertView(located.alert, await repo.timeline(conn, alert_id))


async def acknowledge(
    conn: Conn, actor: Actor, alert_id: int, request: AckRequest, now: datetime
) -> AlertView:
    """Acknowledge an open alert (an acked one is left as it is); 409 when resolved. Who did
    it goes into the alert, its timeline and the audit log."""
    await _visible(conn, actor, alert_id)
    await acking.acknowledge_alert(conn, alert_id, by=request.by, actor=actor, now=now)
    return await alert_view(conn, actor, alert_id)


async def resolve(
    conn: Conn, actor: Actor, alert_id: int, request: ResolveRequest, now: datetime
) -> AlertView:
    """Resolve an open or acked alert with its outcome; 409 when already resolved."""
    located = await _visible(conn, actor, alert_id, lock=True)
    lifecycle.check_resolve(Status(located.alert.status))
    await escalation.resolved(conn, alert_id, now)
    await repo.resolve(
        conn,
        alert_id,
        by=request.by,
        actor=actor.name,
        outcome=request.outcome.value,
        notes=request.notes,
        now=now,
    )
    await repo.add_timeline(
        conn,
        alert_id,
        TimelineKind.RESOLVED,
        now,
        actor=actor.name,
        who=request.by,
        detail={"outcome": request.outcome.value},
    )
    await audit_repo.record(
        conn,
        actor,
        RESOLVE,
        ENTITY,
        str(alert_id),
        town=located.town,
        detail={"by": request.by, "outcome": request.outcome.value},
    )
    return await alert_view(conn, actor, alert_id)


async def _visible(conn: Conn, actor: Actor, alert_id: int, *, lock: bool = False) -> repo.Located:
    located = await repo.get(conn, alert_id, lock=lock)
    if located is None:
        raise AlertNotFoundError(NO_SUCH_ALERT)
    # Town staff: their town's elders' alerts only (an alert of no elder is no town's).
    if not may_see_town(actor, located.town):
        raise AlertForbiddenError("this alert is of another town's elder")
    return located
