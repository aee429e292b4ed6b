"""Personas: who lives in a simulated home and how their days usually go.

The mix follows the classes of the Kaiping plan (A: incapacitated, 80+ alone; B: a couple
where one partner depends on the other; C: other special-difficulty elders). Hours are
local clock hours; every figure is a mean that each elder varies around.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    weight: float  # share of households
    age: tuple[int, int]
    living: str  # living_arrangement of the elder file
    couple: bool = False  # two people in the home
    partner_dependent: bool = False  # the partner barely moves (B: couple with a dependent)
    incapacitated: bool = False
    dementia: bool = False
    disability: str = "none"
    wake_h: float = 6.0
    wake_sd_h: float = 0.4
    sleep_h: float = 21.75
    sleep_sd_h: float = 0.5
    night_trips: float = 1.0  # mean bathroom trips per night
    mobility: float = 1.0  # scales how much the elder moves (PIR firing rate)
    outing_p: float = 0.7  # chance of a morning outing (market, tea house, park)
    afternoon_out_p: float = 0.25
    nap_p: float = 0.5
    cooks: bool = True
    carer_visits: int = 0  # home-care worker visits a day
    family_visit_p: float = 0.35  # chance per weekend day
    checkin_p: float = 0.6  # chance a day of pressing "I am fine" unprompted
    prompt_answer_p: float = 0.9  # chance of answering a check-in prompt
    wander_p: float = 0.0005  # chance a night of leaving the home at night
    restless: float = 1.0  # night-time movement in bed


PERSONAS: Final[dict[str, Persona]] = {
    p.key: p
    for p in (
        Persona(
            "active_alone",
            0.28,
            (63, 79),
            "alone",
            outing_p=0.8,
            checkin_p=0.7,
            prompt_answer_p=0.95,
        ),
        Persona(
            "empty_nest_couple",
            0.17,
            (65, 79),
            "empty_nest",
            couple=True,
            wake_h=6.25,
            sleep_h=22.0,
            night_trips=1.2,
            outing_p=0.7,
            checkin_p=0.5,
        ),
        Persona(
            "old_alone_80",
            0.22,
            (80, 94),
            "alone",
            wake_h=5.75,
            wake_sd_h=0.5,
            sleep_h=21.0,
            night_trips=2.0,
            mobility=0.7,
            outing_p=0.4,
            afternoon_out_p=0.1,
            nap_p=0.85,
            family_visit_p=0.5,
            checkin_p=0.6,
            prompt_answer_p=0.85,
        ),
        Persona(
            "couple_dependent",
            0.10,
            (68, 79),
            "empty_nest",
            couple=True,
            partner_dependent=True,
            wake_h=6.25,
            sleep_h=21.75,
            night_trips=1.8,
            outing_p=0.45,
            afternoon_out_p=0.05,
            checkin_p=0.6,
        ),
        Persona(
            "incapacitated",
            0.10,
            (70, 92),
            "alone",
            incapacitated=True,
            disability="mild",
            wake_h=6.75,
            wake_sd_h=0.7,
            sleep_h=20.5,
            night_trips=2.2,
            mobility=0.35,
            outing_p=0.03,
            afternoon_out_p=0.0,
            nap_p=0.9,
            cooks=False,
            carer_visits=2,
            family_visit_p=0.6,
            checkin_p=0.4,
            prompt_answer_p=0.7,
        ),
        Persona(
            "bed_bound",
            0.05,
            (75, 95),
            # Nobody else lives there (one occupant; carers and family come by): filed as
            # living alone, as the fall's truth (written for elders alone) says.
            "alone",
            incapacitated=True,
            disability="severe",
            wake_h=7.0,
            wake_sd_h=0.6,
            sleep_h=20.0,
            night_trips=0.0,
            mobility=0.12,
            outing_p=0.0,
            afternoon_out_p=0.0,
            nap_p=1.0,
            cooks=False,
            carer_visits=3,
            family_visit_p=0.6,
            checkin_p=0.3,
            prompt_answer_p=0.6,
            restless=1.5,
        ),
        Persona(
            "dementia",
            0.08,
            (72, 90),
            "alone",
            dementia=True,
            wake_h=6.5,
            wake_sd_h=1.1,
            sleep_h=21.0,
            sleep_sd_h=1.2,
            night_trips=2.5,
            mobility=0.8,
            outing_p=0.35,
            afternoon_out_p=0.15,
            nap_p=0.7,
            carer_visits=1,
            checkin_p=0.15,
            prompt_answer_p=0.4,
            wander_p=0.04,
            restless=2.5,
        ),
    )
}

MIX: Final = tuple((p.key, p.weight) for p in PERSONAS.values())
