"""Query parameters that need more than FastAPI's own checks; errors name the parameter."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

from api.errors import field_error

# "+08:00" arrives as " 08:00" when a client did not percent-encode the plus sign.
_LOST_PLUS: Final = re.compile(r" (\d{2}(?::?\d{2})?)$")
_EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)


def plain_text(value: str | None, name: str) -> str | None:
    """A text query parameter the database can hold (no NUL characters)."""
    if value is not None and "\x00" in value:
        raise field_error(("query", name), "must not contain NUL characters", value)
    return value


def instant(value: str | None, name: str, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 time (with offset; without one it is read in ``tz``) or Unix epoch
    seconds."""
    if value is None:
        return None
    text = _LOST_PLUS.sub(r"+\1", value.strip())
    try:
        parsed = _parse(text, tz)
    except (ValueError, OverflowError, OSError):
        raise field_error(
            ("query", name), "not an ISO 8601 time with offset, nor epoch seconds", value
        ) from None
    if not _EARLIEST <= parsed < _LATEST:
        raise field_error(("query", name), "time out of range (1970–2199)", value)
    return parsed


def _parse(text: str, tz: ZoneInfo) -> datetime:
    try:
        seconds = float(text)
    except ValueError:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
    if not math.isfinite(seconds):
        raise ValueError("not a finite number")
    return datetime.fromtimestamp(seconds, UTC)
