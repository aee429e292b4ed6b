"""What the decoder cannot store as sent, reduced to what it can.

Pure functions, used only off the hot path: a payload ``orjson`` refuses is parsed again by
``tolerant_loads``; an event whose ``extra`` may hold what PostgreSQL's ``jsonb`` or the
serialiser refuses (a NUL, a lone surrogate, an integer beyond 64 bits, nesting or size over
the bounds below) is passed through ``storable_extra``. Nothing here raises on content.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

# Real devices send flat fields, a level or two deep; orjson serialises at most 254 levels
# and refuses deeper (the poison message that crashed the writer). Far below both.
MAX_EXTRA_DEPTH: Final = 16
# One event's extra fields, serialised. A payload is at most 256 KiB; a single event that
# carries more than this beside its kind is not a sensor reading any detector could use.
MAX_EXTRA_BYTES: Final = 16 * 1024
# Where the unusable fields of an event go, each rendered storable or described.
UNUSABLE_KEY: Final = "unusable"

_REPLACEMENT: Final = "\ufffd"
_ESCAPED_NUL: Final = b"\\u0000"
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1  # orjson serialises integers up to an unsigned 64-bit one
# A critical kind named in a payload that cannot be parsed at all (see ``salvage_kinds``).
_CRITICAL_KIND_RE: Final = re.compile(rb'"kind"\s*:\s*"(sos|fall|smoke|gas)"')


class NonStandardNumber(str):
    """A number as sent, kept as text: one a double cannot hold (``1e400``) or one standard
    JSON does not have (``NaN``, ``Infinity``). A ``str`` subclass, so that every
    ``type(x) is int/float/str`` check of the decoder refuses it as a number."""

    __slots__ = ()


class _TooDeep(Exception):  # noqa: N818 - internal control flow, never escapes this module
    pass


def tolerant_loads(payload: bytes) -> Any:
    """Parse what ``orjson`` refused: invalid UTF-8 becomes lone surrogates (cleaned later by
    ``storable_extra``), non-standard numbers become ``NonStandardNumber``.

    Raises ``ValueError`` when the payload is not JSON even so (or nested beyond what the
    parser's recursion allows)."""
    text = payload.decode("utf-8", errors="surrogateescape")
    try:
        return json.loads(text, parse_float=_float, parse_constant=NonStandardNumber)
    except RecursionError as exc:
        raise ValueError("nested too deep to parse") from exc


def _float(text: str) -> float | NonStandardNumber:
    value = float(text)
    return value if math.isfinite(value) else NonStandardNumber(text)


def salvage_kinds(payload: bytes) -> list[str]:
    """The critical kinds named in a payload that cannot be decoded (not JSON, too large):
    an SOS must not be lost to a broken byte elsewhere in its message."""
    return sorted({m.group(1).decode() for m in _CRITICAL_KIND_RE.finditer(payload)})


def may_be_unstorable(payload: bytes, items: int) -> bool:
    """Whether an extra field of the ``items`` events of ``payload`` may hold a NUL or exceed
    the depth or size bounds: cheap tests of the bytes, so that only such payloads pay for
    ``storable_extra``."""
    return (
        _ESCAPED_NUL in payload
        or len(payload) > MAX_EXTRA_BYTES // 4  # numbers can grow when serialised again
        or payload.count(b"{") + payload.count(b"[") > MAX_EXTRA_DEPTH + items
    )


def storable_extra(
    extra: dict[str, Any], in_place: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], bool]:
    """``extra`` as it can be stored, and whether anything had to change.

    A field holding a NUL, a lone surrogate, an integer beyond 64 bits, or nesting deeper than
    ``MAX_EXTRA_DEPTH`` leaves its place for ``extra["unusable"][name]``: its value with the
    bad characters replaced (U+FFFD) and the big integers as text, or a description. The
    fields named ``in_place`` (those the decoder itself set aside, where readers look for
    them) keep their place, cleaned so. Extra fields over ``MAX_EXTRA_BYTES`` in all are
    replaced by a description."""
    kept: dict[str, Any] = {}
    unusable: dict[str, Any] = {}
    altered = False
    for key, value in extra.items():
        clean_key, key_changed = _clean_str(key) if type(key) is str else (str(key), True)
        try:
            clean, changed = _clean(value, 1)
        except _TooDeep:
            clean, changed = f"nested deeper than {MAX_EXTRA_DEPTH} levels", True
        if key in in_place:
            kept[key] = clean
            altered = altered or changed
        elif changed or key_changed:
            unusable[clean_key] = clean
        else:
            kept[clean_key] = clean
    if unusable:
        kept[UNUSABLE_KEY] = unusable
    size = len(json.dumps(kept, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    if size > MAX_EXTRA_BYTES:
        note = f"{size} bytes of extra fields, over the {MAX_EXTRA_BYTES} byte limit"
        return {UNUSABLE_KEY: {"extra": note}}, True
    return kept, altered or bool(unusable)


def _clean(value: Any, depth: int) -> tuple[Any, bool]:
    kind = type(value)
    if kind is str:
        return _clean_str(value)
    if kind is int:
        if _INT_MIN <= value <= _INT_MAX:
            return value, False
        return NonStandardNumber(value), True
    if kind is dict or kind is list:
        if depth >= MAX_EXTRA_DEPTH:
            raise _TooDeep
        return _clean_container(value, depth)
    if kind is float or kind is bool or value is None or kind is NonStandardNumber:
        return value, False
    return str(value), True  # nothing JSON decodes to; kept as text all the same


def _clean_container(value: dict[Any, Any] | list[Any], depth: int) -> tuple[Any, bool]:
    changed = False
    if isinstance(value, list):
        items = []
        for item in value:
            clean, item_changed = _clean(item, depth + 1)
            items.append(clean)
            changed = changed or item_changed
        return items, changed
    out: dict[str, Any] = {}
    for key, item in value.items():
        clean_key, key_changed = _clean_str(key) if type(key) is str else (str(key), True)
        clean, item_changed = _clean(item, depth + 1)
        out[clean_key] = clean
        changed = changed or key_changed or item_changed
    return out, changed


def _clean_str(text: str) -> tuple[str, bool]:
    """Without NUL (jsonb refuses it) and lone surrogates (UTF-8 cannot hold them)."""
    if "\x00" not in text and (text.isascii() or _encodable(text)):
        return text, False
    fixed = text.replace("\x00", _REPLACEMENT)
    if not _encodable(fixed):
        fixed = fixed.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return fixed, True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
