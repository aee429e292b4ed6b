"""Simulated time: epoch seconds (float) in, ISO 8601 with the +08:00 offset out.

Kaiping keeps China Standard Time all year (no daylight saving), so a fixed offset is
exact and far cheaper than a zone lookup per event.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

TZ_OFFSET_S: Final = 8 * 3600
TZ: Final = timezone(timedelta(seconds=TZ_OFFSET_S))
DAY: Final = 86_400.0
# A plan day runs from 03:00 to 03:00 local: the elder is (nearly always) asleep then, so
# every day is generated on its own and carries little state into the next.
DAY_START_HOUR: Final = 3

_DURATION_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY, "w": 7 * DAY}


def parse_duration(text: str) -> float:
    """``20s``, ``5m``, ``2h``, ``7d``, ``1w`` or plain seconds → seconds."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 20s, 5m, 2h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def iso(t: float) -> str:
    """Epoch seconds → ``2026-11-29T08:15:02.120+08:00`` (milliseconds, local offset)."""
    ms = round(t * 1000)
    stamp = datetime.fromtimestamp(ms // 1000, TZ).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}+08:00"


def day_start(t: float) -> float:
    """The 03:00 local plan-day boundary at or before ``t``."""
    local = t + TZ_OFFSET_S - DAY_START_HOUR * 3600
    return (local // DAY) * DAY - TZ_OFFSET_S + DAY_START_HOUR * 3600


def local_hour(t: float) -> float:
    """Hour of the local day, 0 ≤ h < 24."""
    return ((t + TZ_OFFSET_S) % DAY) / 3600.0


def local_date(t: float) -> datetime:
    return datetime.fromtimestamp(t, TZ)


def midnight(t: float) -> float:
    """Local midnight at or before ``t``."""
    return ((t + TZ_OFFSET_S) // DAY) * DAY - TZ_OFFSET_S


def to_epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.timestamp()


def parse_iso_or_epoch(value: object) -> float | None:
    """A wire time (ISO 8601 with offset, or epoch seconds) → epoch seconds, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return to_epoch(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None
