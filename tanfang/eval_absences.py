"""What a homes.json declares, for ``tanfang evaluate`` to do what the live gateway does:
the absences (``"absences"``: elder id → ``{"from", "to", "reason"}`` as ``POST
/elders/{id}/absences`` takes them), read as the gateway reads ``elder_absences`` at every
sweep (``gateway.detectors.absences``), and the heightened-watch periods
(``"watch_periods"``: ``{"town", "from", "to", …}`` as ``POST /watch-periods`` takes them,
``"town": null`` for every town), during which check-in prompts go out daily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gateway.detectors.absences import Absences


class DeclaredError(ValueError):
    """An absence of the file that is not ``{"from", "to"}`` times with an offset, ``to``
    after ``from``; a watch period that is not ``{"from", "to"}`` days in order."""


@dataclass(frozen=True, slots=True)
class Watch:
    """A heightened-watch period: its town (None: every town), first and last day."""

    town: str | None
    first: date
    last: date

    def covers(self, town: object, on: date) -> bool:
        return self.first <= on <= self.last and self.town in (None, town)


def absences_of(doc: Any, elder_ids: tuple[str, ...]) -> Absences:
    """``doc`` (the file's ``"absences"``) for the elders ``elder_ids`` (an absence of an
    elder not in the file is left out)."""
    if not isinstance(doc, dict):
        raise DeclaredError('"absences" must be an object of elder id → list of absences')
    rows: list[tuple[str, float, float]] = []
    for elder_id, listed in doc.items():
        if not isinstance(listed, list):
            raise DeclaredError(f'"absences" of {str(elder_id)[:64]!r} must be a list')
        for k, item in enumerate(listed):
            rows.append((elder_id, *_span(item, f"absences of {str(elder_id)[:64]!r}[{k}]")))
    return Absences.of(rows, elder_ids)


def _span(item: Any, where: str) -> tuple[float, float]:
    if not isinstance(item, dict):
        raise DeclaredError(f"{where} is not an object")
    try:
        start, end = (datetime.fromisoformat(str(item[k])) for k in ("from", "to"))
    except (KeyError, ValueError):
        raise DeclaredError(f'{where}: "from" and "to" must be ISO 8601 times') from None
    if start.tzinfo is None or end.tzinfo is None:
        raise DeclaredError(f'{where}: "from" and "to" need an offset')
    if end <= start:
        raise DeclaredError(f"{where}: 'to' must be after 'from'")
    return start.timestamp(), end.timestamp()


def watch_of(doc: Any) -> tuple[Watch, ...]:
    """``doc``: the file's ``"watch_periods"`` (absent: none)."""
    if not isinstance(doc, list):
        raise DeclaredError('"watch_periods" must be a list')
    out = []
    for k, item in enumerate(doc):
        where = f"watch_periods[{k}]"
        if not isinstance(item, dict):
            raise DeclaredError(f"{where} is not an object")
        town = item.get("town")
        try:
            first, last = (date.fromisoformat(str(item[key])) for key in ("from", "to"))
        except (KeyError, ValueError):
            raise DeclaredError(f'{where}: "from" and "to" must be days (YYYY-MM-DD)') from None
        if last < first or not (town is None or isinstance(town, str)):
            raise DeclaredError(f"{where}: 'to' before 'from', or a town that is not text")
        out.append(Watch(town, first, last))
    return tuple(out)
