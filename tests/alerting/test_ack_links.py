"""Ack-link tokens: what one names reads back with its key and nothing else does."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerting.ack_links import (
    KEY_BYTES,
    MAX_ALERT_ID,
    MAX_RECIPIENT_KEY_BYTES,
    MAX_TOKEN_LENGTH,
    AckClaim,
    ack_url,
    make_token,
    read_token,
)

KEY = bytes(range(KEY_BYTES))
OTHER_KEY = bytes(reversed(range(KEY_BYTES)))
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

alert_ids = st.integers(min_value=1, max_value=MAX_ALERT_ID)
recipient_keys = st.text(
    st.characters(exclude_categories=["Cs"]), min_size=1, max_size=MAX_RECIPIENT_KEY_BYTES // 4
)


@given(alert_ids, recipient_keys)
def test_a_token_reads_back_as_the_alert_and_recipient_it_names(
    alert_id: int, recipient_key: str
) -> None:
    token = make_token(KEY, alert_id, recipient_key)
    assert read_token(KEY, token) == AckClaim(alert_id, recipient_key)
    assert len(token) <= MAX_TOKEN_LENGTH
    assert set(token) <= set(ALPHABET), "URL-safe, no padding"


def test_a_token_is_compact_enough_for_a_text_message() -> None:
    assert len(make_token(KEY, 123456, "contact:9876")) <= 50
    assert len(make_token(KEY, 1, "town:赤坎鎮")) <= 50


@given(alert_ids, recipient_keys, st.data())
def test_changing_any_character_of_a_token_voids_it(
    alert_id: int, recipient_key: str, data: st.DataObject
) -> None:
    token = make_token(KEY, alert_id, recipient_key)
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(
        st.sampled_from(ALPHABET + "=+/.~ é").filter(lambda c: c != token[at]), label="char"
    )
    altered = token[:at] + replacement + token[at + 1 :]
    assert read_token(KEY, altered) is None


@given(alert_ids, recipient_keys, st.data())
def test_a_cut_or_lengthened_token_is_void(
    alert_id: int, recipient_key: str, data: st.DataObject
) -> None:
    token = make_token(KEY, alert_id, recipient_key)
    cut = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="cut")
    assert read_token(KEY, token[:cut]) is None
    assert read_token(KEY, token + data.draw(st.sampled_from(ALPHABET))) is None


@given(alert_ids, recipient_keys)
def test_a_token_of_another_key_is_void(alert_id: int, recipient_key: str) -> None:
    assert read_token(OTHER_KEY, make_token(KEY, alert_id, recipient_key)) is None


def test_a_token_names_only_its_own_alert() -> None:
    token = make_token(KEY, 41, "contact:5")
    claim = read_token(KEY, token)
    assert claim is not None
    assert claim.alert_id == 41
    assert claim != AckClaim(42, "contact:5")
    assert make_token(KEY, 42, "contact:5") != token
    assert make_token(KEY, 41, "contact:6") != token


@given(st.text(max_size=MAX_TOKEN_LENGTH + 20))
def test_no_text_that_is_not_a_token_reads_as_one(text: str) -> None:
    assert read_token(KEY, text) is None


def test_an_over_long_token_is_refused_before_decoding() -> None:
    assert read_token(KEY, "A" * (MAX_TOKEN_LENGTH + 1)) is None
    assert read_token(KEY, "A" * 10_000_000) is None


def test_make_token_refuses_what_no_token_may_name() -> None:
    for alert_id in (0, -1, MAX_ALERT_ID + 1):
        with pytest.raises(ValueError, match="alert id"):
            make_token(KEY, alert_id, "contact:1")
    for recipient_key in ("", "x" * (MAX_RECIPIENT_KEY_BYTES + 1)):
        with pytest.raises(ValueError, match="recipient key"):
            make_token(KEY, 1, recipient_key)
    with pytest.raises(ValueError, match="key"):
        make_token(secrets.token_bytes(KEY_BYTES - 1), 1, "contact:1")


def test_the_longest_token_fits_the_length_limit() -> None:
    token = make_token(KEY, MAX_ALERT_ID, "x" * MAX_RECIPIENT_KEY_BYTES)
    assert len(token) <= MAX_TOKEN_LENGTH
    assert read_token(KEY, token) == AckClaim(MAX_ALERT_ID, "x" * MAX_RECIPIENT_KEY_BYTES)


def test_the_ack_url_is_the_public_base_and_the_token() -> None:
    assert ack_url("https://tanfang.example/", "abc") == "https://tanfang.example/ack/abc"
    assert ack_url("https://x.example/tanfang", "abc") == "https://x.example/tanfang/ack/abc"
