"""Check-in prompts (報平安提醒) to the Ping An Tong buttons of class B and C elders.

A class B/C elder whose month is not yet covered by any visit by the prompt day (the 20th,
``TANFANG_CHECKIN_PROMPT_DAY``) gets a ``checkin_prompt`` command on the button, so that one
press makes the month's online visit. During a heightened-watch period the prompt goes out
every day the elder has not yet checked in. At most once an elder a day (an elder with two
buttons gets one prompt, on one button), and only between 09:00 and 20:00 local time so that
nobody is woken. "Once a day" is a row per (elder, day) claimed in the database, so it holds
across restarts and several gateways. A prompt day of 29-31 is the last day of a shorter
month.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

import psycopg

from care import prompts_repo
from care.models import PromptCandidate
from care.month import Month
from store.pool import Pool

log = logging.getLogger(__name__)

PROMPT_FROM: Final = time(9, 0)
PROMPT_UNTIL: Final = time(20, 0)
PROMPTED_CATEGORIES: Final = frozenset({"B", "C"})
# How often the loop looks for elders to prompt (TANFANG_CHECKIN_PROMPT_INTERVAL_S): a
# prompt goes out within a minute of the elder becoming due, a query a minute costs little.
DEFAULT_INTERVAL_S: Final = 60.0

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class PromptRule:
    """The deployment's values the rule needs: its time zone (days are cut there, prompts
    go out 09:00-20:00 there) and the prompt day of the month (``TANFANG_CHECKIN_PROMPT_DAY``)."""

    tz: ZoneInfo
    prompt_day: int = 20


def within_hours(local: datetime) -> bool:
    return PROMPT_FROM <= local.time() < PROMPT_UNTIL


def should_prompt(candidate: PromptCandidate, today: date, prompt_day: int) -> bool:
    """The rule for one button on a day inside the prompting hours."""
    if candidate.category not in PROMPTED_CATEGORIES or not candidate.visit_consent:
        return False
    if candidate.prompted_today or candidate.checked_in_today:
        return False
    if candidate.under_watch:
        return True
    due = today.day >= effective_prompt_day(today, prompt_day)
    return due and not candidate.visited_this_month


def effective_prompt_day(today: date, prompt_day: int) -> int:
    """The prompt day in ``today``'s month: a day of 29-31 is the month's last day in
    shorter months, so that February is prompted too."""
    return min(prompt_day, Month.of(today).last_day.day)


def choose(
    candidates: Iterable[PromptCandidate], now: datetime, tz: ZoneInfo, prompt_day: int
) -> list[PromptCandidate]:
    """The buttons to prompt at ``now`` (none outside 09:00-20:00 local), one an elder: the
    first of the elder's buttons given."""
    local = now.astimezone(tz)
    if not within_hours(local):
        return []
    chosen: dict[str, PromptCandidate] = {}
    for candidate in candidates:
        if candidate.elder_id not in chosen and should_prompt(candidate, local.date(), prompt_day):
            chosen[candidate.elder_id] = candidate
    return list(chosen.values())


def prompt_command(device_id: str, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The contract's command object; it expires when the prompting hours end today."""
    local = now.astimezone(tz)
    expires = datetime.combine(local.date(), PROMPT_UNTIL, tzinfo=tz)
    return {
        "cmd": "checkin_prompt",
        "id": f"checkin-{local.date():%Y%m%d}-{device_id}",
        "expires": expires.timestamp(),
    }


async def prompt_once(pool: Pool, rule: PromptRule, publish: Publish, now: datetime) -> int:
    """One round: choose, claim (once an elder a day) and publish; returns prompts sent.

    A prompt whose publish fails gives its claim back, so a later round tries again."""
    tz = rule.tz
    local = now.astimezone(tz)
    if not within_hours(local):
        return 0
    today = local.date()
    async with pool.connection() as conn:
        found = await prompts_repo.candidates(conn, Month.of(today), today, tz)
    sent = 0
    for candidate in choose(found, now, tz, rule.prompt_day):
        command = prompt_command(candidate.device_id, now, tz)
        async with pool.connection() as conn:
            claimed = await prompts_repo.claim(
                conn,
                candidate.device_id,
                elder_id=candidate.elder_id,
                day=today,
                now=now,
                prompt_id=command["id"],
            )
        if not claimed:
            continue
        try:
            await publish(candidate.device_id, command)
        except Exception:
            # Whatever the transport raised, the prompt did not go out: release the claim.
            log.warning("check-in prompt to device %s not sent", candidate.device_id)
            async with pool.connection() as conn:
                await prompts_repo.release(conn, candidate.device_id, today)
            continue
        sent += 1
    if sent:
        log.info("sent %s check-in prompts", sent)
    return sent


async def run_prompts(
    pool: Pool,
    rule: PromptRule,
    publish: Publish,
    stop: asyncio.Event,
    clock: Clock,
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> None:
    """Prompt every ``interval_s`` (setting ``TANFANG_CHECKIN_PROMPT_INTERVAL_S``) until
    ``stop`` is set. A database outage is logged and retried on the next round."""
    while not stop.is_set():
        try:
            await prompt_once(pool, rule, publish, clock())
        except psycopg.Error as exc:
            log.warning("check-in prompt round failed: %s", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            continue
