"""Storm use cases, run by the device-health sweep in its transaction: opening the offline
devices' alerts with storms grouped under one town incident (``open_offline``), and
clearing the incidents whose devices are back, after which their devices still offline
escalate on their own (``settle``). The rules are ``alerting.storms``'s."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final

from alerting import escalation, escalation_repo, lifecycle, repo, storm_repo
from alerting.clearing import SYSTEM_ACTOR, clear_alert
from alerting.models import AlertChange, AlertSignal, AlertType, Change, Severity, TimelineKind
from alerting.services import open_alert
from alerting.storm_repo import Grouping
from alerting.storms import StormRule, incident_summary, is_over, listed, storm_towns
from store.db import Conn

log = logging.getLogger(__name__)

DEVICES_BACK: Final = "devices back"
INCIDENT_OVER: Final = "incident resolved"


async def open_offline(
    conn: Conn, signals: Sequence[AlertSignal], now: datetime, rule: StormRule
) -> list[AlertChange]:
    """Open the ``device_offline`` alerts of ``signals`` (one per device found offline).
    In a town in a storm — an incident standing, or ``rule.devices`` of its devices offline
    within ``rule.window_s`` — they are opened grouped under the town's incident (opened
    now if need be, with the town's alerts of the window before pulled under it) and their
    escalation does not start."""
    if not signals:
        return []
    towns = await storm_repo.towns_of(conn, [s.elder_id for s in signals if s.elder_id])
    town_of = [towns.get(s.elder_id) if s.elder_id else None for s in signals]
    new = Counter(town for town in town_of if town is not None)
    since = now - rule.window
    recent = await storm_repo.recent_by_town(conn, since, now)
    standing = {i.town: i.id for i in await storm_repo.incidents(conn)}
    stormy = storm_towns(new, recent, standing.keys(), rule)
    for starting in sorted(stormy - standing.keys()):
        coming = [s.device_id for s, t in zip(signals, town_of, strict=True) if t == starting]
        standing[starting] = await _open_incident(conn, starting, since, now, coming)
    changes: list[AlertChange] = []
    grouped: defaultdict[str, list[Grouping]] = defaultdict(list)
    for signal, town in zip(signals, town_of, strict=True):
        incident = standing.get(town) if town in stormy else None
        held = signal
        if incident is not None:
            detail = {**signal.detail, "grouped_under": incident}
            held = replace(signal, escalate=False, detail=detail)
        done = await open_alert(conn, held, now)
        changes.append(done)
        if town is not None and incident is not None and done.change is Change.OPENED:
            grouped[town].append(Grouping(done.alert.id, signal.device_id or ""))
    for place, members in grouped.items():
        await _group(conn, standing[place], place, members, now)
    return changes


async def _open_incident(
    conn: Conn, town: str, since: datetime, now: datetime, coming: list[str | None]
) -> int:
    """Open ``town``'s incident and put its device alerts opened since ``since`` under it
    (their escalation stops: anyone already told hears again when the device is back)."""
    earlier = await storm_repo.ungrouped_recent(conn, town, since, now)
    devices = [g.device_id for g in earlier] + [d for d in coming if d is not None]
    signal = AlertSignal(
        AlertType.DEVICE_OFFLINE,
        None,
        town=town,
        severity=Severity.HIGH,
        summary=incident_summary(town, len(devices)),
        detail={"town": town, "devices": len(devices), "device_ids": listed(devices)},
    )
    done = await open_alert(conn, signal, now)
    incident = done.alert.id
    log.warning("storm: incident %s, %s devices offline within a minute", incident, len(devices))
    for member in earlier:
        await escalation_repo.stop(conn, member.id)
        await escalation_repo.cancel_pending(conn, member.id, now)
    await _group(conn, incident, town, earlier, now)
    return incident


async def _group(
    conn: Conn, incident: int, town: str, members: list[Grouping], now: datetime
) -> None:
    """Put ``members`` under ``incident``: a timeline row on each and one on the incident
    listing them; the incident's summary counts its devices."""
    if not members:
        return
    await storm_repo.group(conn, [m.id for m in members], incident)
    for member in members:
        detail = {"incident": incident}
        await repo.add_timeline(
            conn, member.id, TimelineKind.GROUPED, now, actor=SYSTEM_ACTOR, detail=detail
        )
    total = await storm_repo.grouped_count(conn, incident)
    device_ids = [m.device_id for m in members]
    summed: dict[str, object] = {
        "added": len(members),
        "device_ids": listed(device_ids),
        "devices": total,
    }
    await repo.add_timeline(
        conn, incident, TimelineKind.GROUPED, now, actor=SYSTEM_ACTOR, detail=summed
    )
    await repo.set_summary(conn, incident, incident_summary(town, total))


async def settle(conn: Conn, now: datetime) -> int:
    """Clear the incidents whose devices are back (most of them: ``storms.BACK_PERCENT``),
    then start the escalation of every grouped alert still active whose incident is
    resolved (cleared now, or resolved by a person). Returns the incidents cleared."""
    cleared = 0
    for incident in await storm_repo.incidents(conn):
        if is_over(incident.devices, incident.still_offline):
            subject = lifecycle.subject_of(AlertType.DEVICE_OFFLINE, None, None, incident.town)
            if await clear_alert(conn, AlertType.DEVICE_OFFLINE, subject, now, reason=DEVICES_BACK):
                cleared += 1
    orphans = await storm_repo.orphans(conn)
    if orphans:
        await storm_repo.release(conn, orphans)
        found = await repo.get_many(conn, orphans)
        for alert_id in orphans:
            located = found.get(alert_id)
            if located is None:
                continue
            await escalation.started(conn, located.alert, now)
            await repo.add_timeline(
                conn,
                alert_id,
                TimelineKind.RELEASED,
                now,
                actor=SYSTEM_ACTOR,
                detail={"reason": INCIDENT_OVER},
            )
        log.info("storm over: %s device alerts escalate on their own", len(orphans))
    return cleared
