"""Text that PostgreSQL can store, checked where it enters (a 422 from the API) rather than
refused later by the database."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

# Ids given by clients (an elder's file number, a device id): the wire contract's device id
# alphabet, used for every id so that any id is safe in a topic, a URL and a log line.
ID_PATTERN: Final = r"^[A-Za-z0-9_.-]{1,64}$"
RecordId = Annotated[str, Field(pattern=ID_PATTERN)]


def storable(value: str) -> str:
    """``value`` itself; ValueError when it holds a NUL character or a lone surrogate, which
    PostgreSQL ``text`` cannot hold. For pydantic's ``AfterValidator``."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value
