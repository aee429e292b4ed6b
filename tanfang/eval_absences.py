"""The declared absences of a homes.json (``"absences"``: elder id → ``{"from", "to",
"reason"}`` as ``POST /elders/{id}/absences`` takes them), for ``tanfang evaluate`` to
suppress what the live gateway suppresses: the evaluation reads them as the gateway reads
``elder_absences`` at every sweep (``gateway.detectors.absences``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.detectors.absences import Absences


class AbsenceError(ValueError):
    """An absence of the file that is not ``{"from", "to"}`` times with an offset, ``to``
    after ``from``."""


def absences_of(doc: Any, elder_ids: tuple[str, ...]) -> Absences:
    """``doc`` (the file's ``"absences"``) for the elders ``elder_ids`` (an absence of an
    elder not in the file is left out)."""
    if not isinstance(doc, dict):
        raise AbsenceError('"absences" must be an object of elder id → list of absences')
    rows: list[tuple[str, float, float]] = []
    for elder_id, listed in doc.items():
        if not isinstance(listed, list):
            raise AbsenceError(f'"absences" of {str(elder_id)[:64]!r} must be a list')
        for k, item in enumerate(listed):
            rows.append((elder_id, *_span(item, f"absences of {str(elder_id)[:64]!r}[{k}]")))
    return Absences.of(rows, elder_ids)


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
