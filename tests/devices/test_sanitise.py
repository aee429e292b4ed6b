"""What cannot be stored as sent, reduced to what can: whatever ``extra`` holds, its
storable form serialises, holds no NUL, and stays within the bounds."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.sanitise import (
    MAX_EXTRA_BYTES,
    MAX_EXTRA_DEPTH,
    NonStandardNumber,
    storable_extra,
    tolerant_loads,
)

hostile_text = st.text(st.characters() | st.sampled_from("\x00\ud800\udfff"), max_size=12)


def nest(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
    st.sampled_from(["1e400", "NaN"]).map(NonStandardNumber),
)
values = st.recursive(
    leaves | st.builds(nest, st.integers(0, 300), leaves),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)

huge = st.integers(MAX_EXTRA_BYTES // 2, MAX_EXTRA_BYTES * 2).map(lambda n: "x" * n)


@settings(deadline=None)
@given(st.dictionaries(hostile_text, values | huge, max_size=4))
def test_the_storable_form_of_any_extra_serialises_without_nul_and_within_bounds(
    extra: dict[str, Any],
) -> None:
    clean, _ = storable_extra(extra)
    dumped = orjson.dumps(clean)  # raises on surrogates, depth over 254, ints over 64 bits
    assert b"\\u0000" not in dumped
    assert len(dumped) <= MAX_EXTRA_BYTES + 200  # the note itself


def test_plain_extra_fields_are_left_as_they_are() -> None:
    extra = {"room": "kitchen", "fw": {"version": [1, 2]}, "n": 1.5, "deep": nest(10, 1)}
    assert storable_extra(extra) == (extra, False)


def test_a_field_too_deep_is_described_and_the_others_kept() -> None:
    clean, changed = storable_extra({"room": "bedroom", "x": nest(MAX_EXTRA_DEPTH + 1, 1)})
    assert changed
    assert clean == {
        "room": "bedroom",
        "unusable": {"x": f"nested deeper than {MAX_EXTRA_DEPTH} levels"},
    }


def test_the_tolerant_parse_keeps_non_standard_numbers_as_their_text() -> None:
    doc = tolerant_loads(b'{"a": 1e400, "b": NaN, "c": -Infinity, "d": 2.5}')
    assert doc == {"a": "1e400", "b": "NaN", "c": "-Infinity", "d": 2.5}
    assert all(type(doc[k]) is NonStandardNumber for k in "abc")
