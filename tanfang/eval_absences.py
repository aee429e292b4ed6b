"""The declared absences of a homes.json (``"absences"``: elder id → ``{"from", "to",
"reason"}`` as ``POST /elders/{id}/absences`` takes them), for ``tanfang evaluate`` to
suppress what the live gateway suppresses: the evaluation reads them as the gateway reads
``elder_absences`` at every sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


class AbsenceError(ValueError):
    """An absence of the file that is not ``{"from", "to"}`` times with an offset, ``to``
    after ``from``."""


@dataclass(frozen=True, slots=True)
class Absences:
    """One row per declared absence: the elder's slot, from, to (epoch s)."""

    slot: Ints
    start: Floats
    end: Floats

    def at(self, now: float, n: int) -> Bools:
        """Per slot of ``n``: under a declared absence at ``now``."""
        out = np.zeros(n, dtype=bool)
        out[self.slot[(self.start <= now) & (now < self.end)]] = True
        return out


def absences_of(doc: Any, elder_ids: tuple[str, ...]) -> Absences:
    """``doc`` (the file's ``"absences"``) for the elders ``elder_ids`` (an absence of an
    elder not in the file is left out)."""
    if not isinstance(doc, dict):
        raise AbsenceError('"absences" must be an object of elder id → list of absences')
    slot_of = {e: i for i, e in enumerate(elder_ids)}
    rows: list[tuple[int, float, float]] = []
    for elder_id, listed in doc.items():
        if not isinstance(listed, list):
            raise AbsenceError(f'"absences" of {str(elder_id)[:64]!r} must be a list')
        for k, item in enumerate(listed):
            start, end = _span(item, f"absences of {str(elder_id)[:64]!r}[{k}]")
            if elder_id in slot_of:
                rows.append((slot_of[elder_id], start, end))
    return Absences(
        slot=np.array([r[0] for r in rows], dtype=np.intp),
        start=np.array([r[1] for r in rows], dtype=np.float64),
        end=np.array([r[2] for r in rows], dtype=np.float64),
    )


def _span(item: Any, where: str) -> tuple[float, float]:
    if not isinstance(item, dict):
        raise AbsenceError(f"{where} is not an object")
    try:
        start, end = (datetime.fromisoformat(str(item[k])) for k in ("from", "to"))
    except (KeyError, ValueError):
        raise AbsenceError(f'{where}: "from" and "to" must be ISO 8601 times') from None
    if start.tzinfo is None or end.tzinfo is None:
        raise AbsenceError(f'{where}: "from" and "to" need an offset')
    if end <= start:
        raise AbsenceError(f"{where}: 'to' must be after 'from'")
    return start.timestamp(), end.timestamp()
