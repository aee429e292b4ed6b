"""Calendar months and local days, cut in the deployment's time zone.

Every rule of the plan speaks in calendar months ("an in-home visit every month", "within
the last 6 months"), so a month is its own small value type rather than a pair of dates.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")

# No file, visit or report of the service predates 2000; a month asked of the API or the
# command line lies between it and December of next year (a plan drawn up ahead), so that
# no computation reaches the edges of the calendar (year 1 or 9999).
EARLIEST_YEAR: Final = 2000


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` → Month; ValueError for anything else."""
        found = _MONTH_RE.fullmatch(text.strip())
        if found is None:
            raise ValueError("month must be written YYYY-MM")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def asked(cls, text: str, today: date) -> Month:
        """A month a caller asks about: ``YYYY-MM`` from January 2000 to December of next
        year (``latest_month``); ValueError for anything else."""
        month = cls.parse(text)
        if not Month(EARLIEST_YEAR, 1) <= month <= latest_month(today):
            raise ValueError(f"month must lie between {EARLIEST_YEAR}-01 and {latest_month(today)}")
        return month

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Months since year 0: differences of indexes count calendar months."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month as aware datetimes in ``tz``."""
        return day_start(self.first_day, tz), day_start(self.last_day + timedelta(days=1), tz)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar day of an aware instant in ``tz`` (naive instants are refused)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no day: give it a time zone")
    return moment.astimezone(tz).date()


def as_of(month: Month, today: date) -> date:
    """The day a month is judged on: its last day, or today while the month is running."""
    return min(month.last_day, today) if today >= month.first_day else month.first_day


def latest_month(today: date) -> Month:
    """The last month a caller may ask about: December of next year."""
    return Month(today.year + 1, 12)


def service_day_problem(day: date, today: date) -> str | None:
    """Why ``day`` cannot be a day of the service (a file opened, a refusal, a watch period):
    before 2000 or after December of next year; None when it can."""
    last = latest_month(today).last_day
    if not date(EARLIEST_YEAR, 1, 1) <= day <= last:
        return f"a day between {EARLIEST_YEAR}-01-01 and {last} is expected"
    return None
