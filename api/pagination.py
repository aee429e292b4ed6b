"""The one list envelope, ``{"items": [...], "next_cursor": ...}``, and its opaque cursor.

A cursor is the key of the last item of a page (keyset pagination), base64url-encoded with
a version prefix; clients pass it back unchanged and must not build one.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Final, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from api.errors import field_error

T = TypeVar("T")

_PREFIX: Final = "c1:"
_KEY: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page."
    )


def encode_cursor(key: str) -> str:
    raw = (_PREFIX + key).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The key inside a cursor; ValueError when it is not one of ours."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor") from exc
    key = text.removeprefix(_PREFIX)
    if key == text or not _KEY.fullmatch(key):
        raise ValueError("not a cursor")
    return key


def _cursor(
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of the previous page."),
    ] = None,
) -> str | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise field_error(("query", "cursor"), "not a cursor from this API", cursor) from None


def page_of(items: list[T], limit: int, key: str | None = None) -> Page[T]:
    """A page from up to ``limit + 1`` fetched items: the extra one only says there is more.
    ``key`` names the attribute the cursor is built from (default ``id``)."""
    more = len(items) > limit
    shown = items[:limit]
    next_cursor = encode_cursor(str(getattr(shown[-1], key or "id"))) if more else None
    return Page[T](items=shown, next_cursor=next_cursor)


CursorDep = Annotated[str | None, Depends(_cursor)]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}.")]
