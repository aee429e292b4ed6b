"""Text that PostgreSQL can store, checked where it enters (a 422 from the API) rather than
refused later by the database."""

from __future__ import annotations


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
