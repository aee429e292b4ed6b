"""Check-in prompts (報平安提醒) in a file run, so that a simulated month has
``missed_checkin`` truth.

Live, the gateway sends ``checkin_prompt`` (``care.prompts``) and ``live.py`` answers it
with ``answer_time``. A file run (``tanfang simulate --out``) has no gateway, so the
generator plays its part as its prompt loop would: every day from the month's prompt day
(the 20th; the month's last day in a shorter month), in the loop's first round after 09:00,
to each elder ``rule`` names who has not checked in this month — and every day of a
heightened watch, which the weather declares here, to whoever has not checked in that day.
``rule`` is class B/C and visits accepted: the care domain decides that, and the simulators
may not import it, so the composition root hands it in (``tanfang.eval_prompts.prompted``;
``tanfang evaluate`` plays the same days with ``care.prompts.should_prompt``). The elder
answers as live, or does not; a prompt not answered by 20:00 whose household has done
nothing at home since, and that no declared absence explains, is a ``missed_checkin``
incident: from 20:00, when the miss can first be known, until someone is up at home again
(or open)."""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from simulators import codes
from simulators.clock import TZ, iso, midnight, parse_iso_or_epoch
from simulators.day_plan import CANNOT_PRESS

if TYPE_CHECKING:
    from simulators.day_plan import DayPlan
    from simulators.track import Track
    from simulators.world import World

HOUR: Final = 3600.0
# The gateway's prompt loop looks every minute from 09:00 (care.prompts): its first round.
PROMPT_AT_S: Final = 9 * HOUR + 30.0
WINDOW_END_S: Final = 20 * HOUR  # care.prompts.PROMPT_UNTIL
DEFAULT_PROMPT_DAY: Final = 20  # TANFANG_CHECKIN_PROMPT_DAY's default
# A heightened watch (加密探訪, care.watch): the bureau declares one for every town on a
# summer day this much hotter than the month's mean (a high-temperature warning) and in a
# winter cold snap; the gateway then prompts daily whoever has not checked in that day.
HOT_C: Final = 1.5
COLD_C: Final = -4.0
HEAT: Final = "高溫天氣加密探訪 / heat warning"
COLD: Final = "寒潮加密探訪 / cold snap"
WATCH_VISITS_PER_WEEK: Final = 2
_ONE_DAY: Final = timedelta(days=1)


class PromptRule(Protocol):
    """Whether the gateway prompts this elder (a homes.json elder object) on day ``on``."""

    def __call__(self, elder: Mapping[str, Any], on: date) -> bool: ...


def prompt_day_of(on: date, prompt_day: int) -> int:
    """The prompt day in ``on``'s month: a day of 29-31 is a shorter month's last day
    (``care.prompts.effective_prompt_day``, which the simulators may not import)."""
    return min(prompt_day, calendar.monthrange(on.year, on.month)[1])


def answer_time(
    world: World,
    device: int,
    command: dict[str, object],
    now: float,
    busy: dict[int, list[tuple[float, float]]],
) -> float | None:
    """When (simulated epoch s) the elder presses "I am fine" for this prompt, or None."""
    home = world.homes[world.devices[device].home]
    rng = random.Random(f"tanfang-prompt:{world.seed}:{device}:{command.get('id')}")
    if rng.random() >= home.persona.prompt_answer_p:
        return None  # forgot, did not hear, could not reach the button
    when = now + rng.lognormvariate(5.2, 0.6)  # about three minutes
    for a, b in busy.get(home.index, []):
        if a <= when < b:  # asleep, out, or lying helpless: later, or never
            when = b + rng.uniform(2, 10) * 60
    expires = parse_iso_or_epoch(command.get("expires"))
    if expires is not None and when > expires:
        return None
    return when


@dataclass(slots=True)
class Prompter:
    """The gateway's prompt loop for a file run from ``since`` (the run's start: a press
    before it is not in the file, so unknown to a gateway fed from it, and no prompt goes
    out before it); ``month``: home → (year, month) of its latest check-in press."""

    rule: PromptRule
    since: float = -math.inf
    prompt_day: int = DEFAULT_PROMPT_DAY
    month: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The heightened-watch periods declared (homes.json's ``"watch_periods"``, as ``POST
    # /watch-periods`` takes them; ``"town": null``: every town).
    watch: list[dict[str, Any]] = field(default_factory=list)
    prompts: int = 0
    answered: int = 0

    def play(
        self,
        world: World,
        plans: list[DayPlan],
        anomaly: float,
        absences: Mapping[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Prompt and answer the day of ``plans`` (before they are expanded into events),
        whose weather is ``anomaly`` °C off the month's mean; returns the day's
        ``missed_checkin`` truth."""
        if not plans:
            return []
        watched = self._declare(
            datetime.fromtimestamp(midnight(plans[0].start), TZ).date(), anomaly
        )
        truth = []
        for plan in plans:
            if (record := self._prompt(world, plan, watched, absences)) is not None:
                truth.append(record)
            for t, _, kind, _ in plan.me.points:
                if kind == codes.CHECKIN and t >= self.since:
                    local = datetime.fromtimestamp(t, TZ)
                    self.month[plan.home] = max(
                        self.month.get(plan.home, (0, 0)), (local.year, local.month)
                    )
        return truth

    def _declare(self, on: date, anomaly: float) -> bool:
        """Whether ``on`` is under a heightened watch, declared (or extended) by its weather."""
        hot = on.month in (6, 7, 8, 9) and anomaly >= HOT_C
        reason = HEAT if hot else COLD if anomaly <= COLD_C else None
        if reason is None:
            return False
        last = self.watch[-1] if self.watch else None
        if last is not None and last["reason"] == reason and last["to"] == str(on - _ONE_DAY):
            last["to"] = str(on)
        else:
            self.watch.append(
                {
                    "town": None,
                    "from": str(on),
                    "to": str(on),
                    "reason": reason,
                    "min_visits_per_week": WATCH_VISITS_PER_WEEK,
                }
            )
        return True

    def _prompt(
        self,
        world: World,
        plan: DayPlan,
        watched: bool,
        absences: Mapping[str, list[dict[str, Any]]],
    ) -> dict[str, Any] | None:
        day0 = midnight(plan.start)
        on = datetime.fromtimestamp(day0, TZ).date()
        home = world.homes[plan.home]
        button = home.roles.get("sos")
        due = watched or on.day >= prompt_day_of(on, self.prompt_day)
        if not due or button is None or not self.rule(home.elder, on):
            return None
        sent, end = day0 + PROMPT_AT_S, day0 + WINDOW_END_S
        if sent < self.since:
            return None  # before the run: no gateway was fed from it
        if any(k == codes.CHECKIN and self.since <= t < sent for t, _, k, _ in plan.me.points):
            return None  # checked in today
        if not watched and self.month.get(plan.home) == (on.year, on.month):
            return None  # this month's online visit is made
        self.prompts += 1
        command: dict[str, object] = {
            "cmd": "checkin_prompt",
            "id": f"checkin-{on:%Y%m%d}-{world.devices[button].id}",
            "expires": end,
        }
        answer = answer_time(world, button, command, sent, {plan.home: plan.busy()})
        if answer is not None:
            self.answered += 1
            plan.me.act(answer, "sos", codes.CHECKIN)
            return None
        tracks = [plan.me, *plan.others]
        if any(_up(track, sent, end) for track in tracks):
            return None
        if _declared(absences.get(home.elder_id, []), sent, end):
            return None
        record = {
            "elder_id": home.elder_id,
            "type": "missed_checkin",
            "start": iso(end),
            "note": "the 09:00 check-in prompt not answered by 20:00, nobody up at home since",
        }
        back = [t for track in tracks if (t := _next_up(track, end)) is not None]
        if back:
            record["end"] = iso(min(back))
        return record


def _up(track: Track, a: float, b: float) -> bool:
    """The person did something at home between ``a`` and ``b``: used a device, or was
    there awake."""
    if any(a < t < b for t, _, _, _ in track.points):
        return True
    return any(x < b and y > a and room not in CANNOT_PRESS for x, y, room in track.where)


def _next_up(track: Track, after: float) -> float | None:
    times = [t for t, _, _, _ in track.points if t >= after]
    times += [max(x, after) for x, y, room in track.where if y > after and room not in CANNOT_PRESS]
    return min(times, default=None)


def _declared(told: list[dict[str, Any]], a: float, b: float) -> bool:
    for absence in told:
        start, end = parse_iso_or_epoch(absence["from"]), parse_iso_or_epoch(absence["to"])
        if start is not None and end is not None and start < b and end > a:
            return True
    return False
