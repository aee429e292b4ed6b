"""The ``visit_overdue`` round (rules: ``alerting.visit_overdue``): read the due list,
open or refresh the towns' and elders' alerts, clear those whose month is met (or over).

A round runs every ``TANFANG_VISIT_OVERDUE_INTERVAL_S`` in every gateway process, under an
advisory lease (one process a round). An active alert is refreshed at most once a local
day (a ``still_due`` timeline row with the list as it stands); its summary follows the
count between. One alert per condition is the database's rule (``alerts_one_active``); an
alert a person resolved is not raised again before the next day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import psycopg

from alerting import health_repo, lifecycle, repo, visit_overdue_repo
from alerting.clearing import clear_alert
from alerting.models import AlertSignal, AlertType, Outcome
from alerting.services import open_alert
from alerting.visit_overdue import (
    VisitOverdueRule,
    elder_detail,
    elder_summary,
    listing,
    lists_open,
    overdue_elders,
    town_lists,
    town_summary,
)
from alerting.visit_overdue_repo import ActiveOverdue
from care.due import DueItem
from care.month import Month, day_start, local_day
from care.visit_services import due_items
from store.db import Conn
from store.pool import Pool

log = logging.getLogger(__name__)

LEASE: Final = "tanfang.visit_overdue"
ACTOR: Final = "visit_overdue"
STILL_DUE: Final = "still_due"
MONTH_MET: Final = "month met"
MONTH_ENDED: Final = "month ended"
NO_LONGER_OVERDUE: Final = "in-home visit no longer overdue"
# How often the round looks (TANFANG_VISIT_OVERDUE_INTERVAL_S): an alert clears within
# this long of the visit that meets the month; a due-list read of a county costs a second.
DEFAULT_INTERVAL_S: Final = 600.0
_TYPE: Final = AlertType.VISIT_OVERDUE


@dataclass(slots=True)
class Round:
    """What a round did."""

    opened: int = 0
    refreshed: int = 0
    cleared: int = 0


@dataclass(frozen=True, slots=True)
class _Day:
    today: date
    now: datetime
    rule: VisitOverdueRule
    spared: set[str]  # subjects a person resolved today: not raised again today


async def check_visits(conn: Conn, rule: VisitOverdueRule, now: datetime) -> Round | None:
    """One round in the caller's transaction; None when another process holds the lease."""
    if not await health_repo.try_lease(conn, LEASE):
        return None
    today = local_day(now, rule.tz)
    lists, overdue = await _due(conn, rule, today)
    spared = await visit_overdue_repo.resolved_by_people_since(conn, day_start(today, rule.tz))
    day = _Day(today, now, rule, spared)
    done = Round()
    active: dict[str, ActiveOverdue] = {}
    for alert in await visit_overdue_repo.active(conn):
        reason = _clear_reason(alert, lists, overdue, day)
        if reason is None:
            active[alert.subject] = alert
        elif await clear_alert(
            conn, _TYPE, alert.subject, now, reason=reason, outcome=Outcome.OTHER
        ):
            done.cleared += 1
    for town, items in lists.items():
        signal = AlertSignal(
            _TYPE,
            None,
            town=town,
            summary=town_summary(town, len(items)),
            actor=ACTOR,
            detail=listing(items),
        )
        await _raise(conn, signal, active, day, done)
    for elder_id, item in overdue.items():
        signal = AlertSignal(
            _TYPE, elder_id, summary=elder_summary(item), actor=ACTOR, detail=elder_detail(item)
        )
        await _raise(conn, signal, active, day, done)
    return done


async def _due(
    conn: Conn, rule: VisitOverdueRule, today: date
) -> tuple[dict[str, list[DueItem]], dict[str, DueItem]]:
    """The towns' lists (empty before the day) and the overdue elders, read town by town: a
    county's due list at once would hold seconds of rows in one read. Elders without a town
    are nobody's list and raise nothing."""
    month = Month.of(today)
    lists: dict[str, list[DueItem]] = {}
    overdue: dict[str, DueItem] = {}
    opened = lists_open(today, rule.day)
    for town in await visit_overdue_repo.towns_with_elders(conn):
        due = await due_items(conn, town, month, today=today, tz=rule.tz)
        if opened:
            lists.update(town_lists(due.items))
        overdue.update(overdue_elders(due.items))
    return lists, overdue


def _clear_reason(
    alert: ActiveOverdue,
    lists: dict[str, list[DueItem]],
    overdue: dict[str, DueItem],
    day: _Day,
) -> str | None:
    """Why an active alert clears now, or None when it stands."""
    if alert.elder_id is not None:
        return None if alert.elder_id in overdue else NO_LONGER_OVERDUE
    if Month.of(local_day(alert.opened_at, day.rule.tz)) != Month.of(day.today):
        return MONTH_ENDED
    if alert.town in lists:
        return None
    return MONTH_MET if lists_open(day.today, day.rule.day) else MONTH_ENDED


async def _raise(
    conn: Conn, signal: AlertSignal, active: dict[str, ActiveOverdue], day: _Day, done: Round
) -> None:
    """Open the alert of ``signal``, or refresh the standing one once a day; keep its
    summary current."""
    subject = lifecycle.subject_of(signal.type, signal.elder_id, None, signal.town)
    standing = active.get(subject)
    if standing is None:
        if subject not in day.spared:
            await open_alert(conn, signal, day.now)
            done.opened += 1
        return
    if local_day(standing.last_seen_at, day.rule.tz) < day.today:
        await open_alert(conn, signal, day.now)  # counts on the standing alert
        await repo.add_timeline(
            conn, standing.id, STILL_DUE, day.now, actor=ACTOR, detail=signal.detail
        )
        done.refreshed += 1
    if signal.summary is not None and signal.summary != standing.summary:
        await repo.set_summary(conn, standing.id, signal.summary)


async def run_visit_overdue(
    pool: Pool,
    rule: VisitOverdueRule,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> None:
    """A round every ``interval_s`` until ``stop`` is set. A database fault is logged and
    the next round tries again."""
    while not stop.is_set():
        try:
            async with pool.connection() as conn, conn.transaction():
                done = await check_visits(conn, rule, clock())
            if done is not None and (done.opened or done.cleared):
                log.info("visit_overdue: %s opened, %s cleared", done.opened, done.cleared)
        except psycopg.Error as exc:
            log.warning("visit_overdue round failed: %s", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            continue
