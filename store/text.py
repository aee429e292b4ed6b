"""Text that PostgreSQL can store, checked where it enters (a 422 from the API) rather than
refused later by the database."""

from __future__ import annotations

import unicodedata
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


# Characters that show nothing: separators (Z*: spaces of every width), controls (Cc) and
# format characters (Cf: zero-width space and joiners, BOM, bidi marks).
_INVISIBLE_CATEGORIES: Final = ("Z", "Cc", "Cf")


def visible(value: str) -> str:
    """``value`` itself; ValueError when, after NFKC, nothing but whitespace, zero-width,
    control or format characters is left — a name or a town that no one can read. For
    pydantic's ``AfterValidator``."""
    for char in unicodedata.normalize("NFKC", value):
        category = unicodedata.category(char)
        if not category.startswith(_INVISIBLE_CATEGORIES):
            return value
    raise ValueError("must contain at least one visible character")
