"""Towns (鎮/街道) as a registry: the form names are compared in, the registered records,
and the close matches offered when a town is not known. Pure; the SQL is in
``care.towns_repo`` and the use cases in ``care.town_services``."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from care.models import Phone, ShortText

# White space of every kind (Python's str.isspace, NFKC leaves some: U+0085, U+1680,
# U+2028/9) and the invisible characters a copy from a web page or a spreadsheet brings
# along. Spelt out, not \s, so that migration 0030's tanfang_town_key has the same set.
_INVISIBLE: Final = re.compile(
    "[\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u180e\\u2000-\\u200d"
    "\\u2028\\u2029\\u202f\\u205f\\u2060\\u3000\\ufeff]"
)
MAX_SUGGESTIONS: Final = 3
# difflib's ratio for names of three or four characters: one character wrong or missing
# (赤崁鎮 for 赤坎鎮, 赤坎 for 赤坎鎮) still suggests the town.
SUGGEST_CUTOFF: Final = 0.5
MAX_ALIASES: Final = 50


def town_key(value: str) -> str:
    """The form a town's name or alias is compared and stored in: NFKC, white space
    (full-width spaces included) and invisible joiners removed."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))


def close_matches(key: str, known: Mapping[str, str]) -> list[str]:
    """Up to three registered names whose name or alias (``known``: key → town) is closest
    to ``key``, best first."""
    found: list[str] = []
    for match in difflib.get_close_matches(key, list(known), n=len(known), cutoff=SUGGEST_CUTOFF):
        town = known[match]
        if town not in found:
            found.append(town)
    return found[:MAX_SUGGESTIONS]


def unknown_town_message(suggestions: Iterable[str]) -> str:
    names = "、".join(suggestions)
    if not names:
        return "not a registered town (GET /api/v1/towns lists them)"
    return f"not a registered town; did you mean {names}?"


def _keyed(value: str) -> str:
    key = town_key(value)
    if not key:
        raise ValueError("must hold more than white space")
    return key


TownName = Annotated[ShortText, AfterValidator(_keyed)]


def _distinct(aliases: list[str]) -> list[str]:
    return list(dict.fromkeys(aliases))


Aliases = Annotated[list[TownName], Field(max_length=MAX_ALIASES), AfterValidator(_distinct)]


class TownCreate(BaseModel):
    """A town to register; names and aliases are kept in their compared form."""

    model_config = ConfigDict(extra="forbid")

    name: TownName
    aliases: Aliases = []
    duty_name: ShortText | None = None
    duty_phone: Phone | None = None


class TownUpdate(BaseModel):
    """What ``PUT /towns/{town}`` may change: ``aliases`` replaces them all; a duty field
    sent as null clears it."""

    model_config = ConfigDict(extra="forbid")

    aliases: Aliases | None = None
    duty_name: ShortText | None = None
    duty_phone: Phone | None = None


@dataclass(frozen=True, slots=True)
class Town:
    """A registered town: its name, the other forms it is known by, its duty contact."""

    name: str
    aliases: list[str]
    duty_name: str | None
    duty_phone: str | None


@dataclass(frozen=True, slots=True)
class TownDuty:
    """Whom an escalation's ``town`` step notifies: the town's duty contact."""

    town: str
    name: str | None
    phone: str


@dataclass(frozen=True, slots=True)
class UnmappedElder:
    """An elder whose stored town is no registered town (left so by migration 0030)."""

    id: str
    town: str | None


@dataclass(frozen=True, slots=True)
class UnmappedToken:
    """A town staff token whose town is no registered town."""

    id: int
    town: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Unmapped:
    elders: list[UnmappedElder]
    tokens: list[UnmappedToken]
