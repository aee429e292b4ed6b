"""Local time of day in a zone without daylight saving (Asia/Shanghai, the default), as
array arithmetic: a fixed UTC offset, hour bins, weekday or weekend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

DAY_S: Final = 86_400.0
BIN_S: Final = 3_600.0
BINS: Final = 24
WEEKDAY: Final = 0
WEEKEND: Final = 1


def utc_offset_s(zone: str, at: datetime | None = None) -> float:
    """The zone's offset; the detectors assume it does not change (no daylight saving)."""
    when = at or datetime.now(UTC)
    offset = when.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return offset.total_seconds()


def local_day(t: float, offset_s: float) -> int:
    """Days since 1970-01-01 in local time."""
    return int((t + offset_s) // DAY_S)


def day_type(t: float, offset_s: float) -> int:
    # 1970-01-01 was a Thursday: day 2 is Saturday.
    return WEEKEND if (local_day(t, offset_s) + 3) % 7 >= 5 else WEEKDAY


def clock_text(t: float, offset_s: float) -> str:
    """``HH:MM`` local."""
    s = int((t + offset_s) % DAY_S)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
