"""Check-in prompts in ``tanfang evaluate``: the gateway's prompt loop (``care.prompts``) and
its ``missed_checkin`` rule (``gateway.missed_checkin``), played in event time over a file.

A file holds no prompts (they are commands to a button, not events), so the run sends them
as the gateway would: at the first sweep from 09:00, to each elder with a Ping An Tong
button for whom ``care.prompts.should_prompt`` says so — class B/C, visits accepted, every
day from the month's prompt day until the month's visit is made (a file has no visit
records: a check-in press is the month's online visit), not checked in today — and every
day of a heightened-watch period (the file's ``"watch_periods"``) to whoever has not checked
in that day. The simulator answers the same prompts (``simulators.prompts``, handed
``prompted`` below by the composition root). At the first sweep from 20:00, a prompt whose
home has had no activity since it went out (the kinds of the database's ``is_activity`` — a
check-in press is one — or an appliance switched on) and whose elder declared no absence
meanwhile opens ``missed_checkin``, as the leader's query does
(``gateway.detect_repo.missed_prompts``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from care.category import Facts, classify
from care.models import PromptCandidate
from care.prompts import PROMPT_FROM, PROMPT_UNTIL, PROMPTED_CATEGORIES, should_prompt
from gateway.detectors import codes
from gateway.detectors.absences import Absences
from gateway.detectors.events import EventBatch
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import DAY_S, local_day
from gateway.detectors.readings import switched_on
from tanfang.eval_absences import Watch
from tanfang.eval_score import Alert

Floats = npt.NDArray[np.float64]
PROMPT_DAY: Final = 20  # TANFANG_CHECKIN_PROMPT_DAY's default
_EPOCH: Final = date(1970, 1, 1).toordinal()
_FROM_S: Final = PROMPT_FROM.hour * 3600.0 + PROMPT_FROM.minute * 60.0
_UNTIL_S: Final = PROMPT_UNTIL.hour * 3600.0 + PROMPT_UNTIL.minute * 60.0
# The kinds the database's ``is_activity`` counts (migration 0048): what ends a miss.
_ACTIVE: Final = codes.kind_table(
    codes.KIND[k] for k in ("motion", "door", "bed", "chair", "water", "checkin")
)
_CHECKIN: Final = codes.KIND["checkin"]
_WATER: Final = codes.KIND["water"]


def facts_of(elder: Mapping[str, Any]) -> Facts:
    """The classifying fields of a homes.json elder object."""
    birth = elder.get("birth_date")
    return Facts(
        birth_date=date.fromisoformat(birth) if isinstance(birth, str) else None,
        living_arrangement=str(elder.get("living_arrangement") or "alone"),
        incapacitated=bool(elder.get("incapacitated")),
        dementia=bool(elder.get("dementia")),
        disability_level=str(elder.get("disability_level") or "none"),
        low_income=bool(elder.get("low_income")),
        family_planning_special=bool(elder.get("family_planning_special")),
        couple_with_dependent=bool(elder.get("couple_with_dependent")),
        cares_for_dependent_child=bool(elder.get("cares_for_dependent_child")),
        category_override=elder.get("category_override"),
    )


def category_on(elder: Mapping[str, Any], on: date) -> str | None:
    return classify(facts_of(elder), on)[0]


def prompted(elder: Mapping[str, Any], on: date) -> bool:
    """Whether the gateway prompts this elder at all on ``on`` (class B/C, visits
    accepted): the rule the simulator's file run is handed."""
    consent = elder.get("visit_consent", True) is not False
    return consent and category_on(elder, on) in PROMPTED_CATEGORIES


@dataclass(slots=True)
class PromptBook:
    """Per elder slot: ``checkin`` (the last check-in press) and ``active`` (the last
    activity: ``is_activity``'s kinds, an appliance switched on); ``sent``: the open prompts,
    slot → sent at."""

    elders: Sequence[Mapping[str, Any]]
    buttons: Mapping[int, str]  # slot → the elder's first Ping An Tong button
    offset_s: float
    devices: int  # how many devices the homes have
    watch: Sequence[Watch] = ()
    prompt_day: int = PROMPT_DAY
    checkin: Floats = field(default_factory=lambda: np.empty(0))
    active: Floats = field(default_factory=lambda: np.empty(0))
    watts: Floats = field(default_factory=lambda: np.empty(0))  # per device: its last reading
    sent: dict[int, float] = field(default_factory=dict)
    prompted_day: int = -1  # the local day whose prompts went out
    prompts: int = 0

    def __post_init__(self) -> None:
        n = len(self.elders)
        self.checkin = np.full(n, -math.inf)
        self.active = np.full(n, -math.inf)
        self.watts = np.full(self.devices, math.nan)

    def feed(self, homes: Homes, part: EventBatch) -> None:
        slot = homes.device_slot[part.device]
        times = part.time()
        act = codes.in_kinds(_ACTIVE, part.kind) & (slot >= 0)
        act &= ~((part.kind == _WATER) & (part.value == 0.0))
        np.maximum.at(self.active, slot[act], times[act])
        power = (part.kind == codes.POWER).nonzero()[0]
        on = power[switched_on(self.watts, part.device[power], part.value[power])]
        on = on[slot[on] >= 0]
        np.maximum.at(self.active, slot[on], times[on])
        pressed = (part.kind == _CHECKIN) & (slot >= 0)
        np.maximum.at(self.checkin, slot[pressed], times[pressed])

    def tick(self, homes: Homes, absences: Absences, now: float) -> list[Alert]:
        """The prompts due at ``now`` go out; the misses known at ``now`` open."""
        day = local_day(now, self.offset_s)
        midnight = day * DAY_S - self.offset_s
        since = now - midnight
        opened = self._missed(homes, absences, now, midnight + _UNTIL_S) if self.sent else []
        if day != self.prompted_day and _FROM_S <= since < _UNTIL_S:
            self.prompted_day = day
            self._prompt(homes, now, midnight, date.fromordinal(_EPOCH + day))
        return opened

    def _prompt(self, homes: Homes, now: float, midnight: float, today: date) -> None:
        month_start = midnight - (today.day - 1) * DAY_S
        for slot, device_id in self.buttons.items():
            elder = self.elders[slot]
            candidate = PromptCandidate(
                device_id=device_id,
                elder_id=homes.elder_ids[slot],
                category=category_on(elder, today),
                visit_consent=elder.get("visit_consent", True) is not False,
                visited_this_month=bool(self.checkin[slot] >= month_start),
                checked_in_today=bool(self.checkin[slot] >= midnight),
                under_watch=any(w.covers(elder.get("town"), today) for w in self.watch),
                prompted_today=False,
            )
            if should_prompt(candidate, today, self.prompt_day):
                self.sent[slot] = now
                self.prompts += 1

    def _missed(self, homes: Homes, absences: Absences, now: float, expired: float) -> list[Alert]:
        if now < expired:
            return []
        opened = []
        for slot, at in self.sent.items():
            told = absences.start[absences.slot == slot] <= now
            told &= absences.end[absences.slot == slot] > at
            if self.active[slot] >= at or told.any():
                continue
            opened.append(
                Alert(homes.elder_ids[slot], "missed_checkin", now, device_id=self.buttons[slot])
            )
        self.sent.clear()
        return opened
