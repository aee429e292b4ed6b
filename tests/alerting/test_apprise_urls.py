"""TANFANG_NOTIFY_URLS: cut into URLs, each checked with apprise, named without its secret."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerting.apprise_urls import (
    NotifyUrl,
    NotifyUrlError,
    channel_names,
    parse_notify_urls,
    split_urls,
)
from tests.alerting.root_records import root_records

MAIL = "mailtos://duty:S3cretPw@smtp.example.test?to=a@example.test,b@example.test"
SMS = "json://sms-gw.example.test/send?-to={phone}"
BOT = "wecombot://Bot-Key-0123456789"


def test_urls_are_cut_at_commas_that_start_another_url_not_inside_a_query() -> None:
    raw = f" {MAIL}, {SMS},{BOT} ,"
    assert split_urls(raw) == [MAIL, SMS, BOT]


def test_an_empty_setting_is_no_url() -> None:
    assert split_urls(None) == []
    assert split_urls("  , ") == []
    assert parse_notify_urls("") == []


# A trailing comma is taken for a separator (dropped): a value does not end with one.
_query_values = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789@.,%", max_size=20).filter(
    lambda v: not v.endswith(",")
)


@given(st.lists(_query_values, min_size=1, max_size=5))
def test_any_list_of_urls_joined_by_commas_comes_back_as_it_was(values: list[str]) -> None:
    urls = [f"json://host{i}.example.test/hook?-q={v}" for i, v in enumerate(values)]
    assert split_urls(",".join(urls)) == urls


def test_a_url_with_phone_is_personal_and_gets_the_number_percent_encoded() -> None:
    sms, bot = parse_notify_urls(f"{SMS},{BOT}")
    assert sms.personal
    assert not bot.personal
    assert sms.for_phone("+86 138 0000 1111") == (
        "json://sms-gw.example.test/send?-to=+86%20138%200000%201111"
    )
    assert (sms.index, sms.scheme, bot.index, bot.scheme) == (1, "json", 2, "wecombot")


def test_a_url_is_never_shown_in_its_repr() -> None:
    [mail] = parse_notify_urls(MAIL)
    assert "S3cretPw" not in repr(mail)
    assert repr(mail) == "NotifyUrl(index=1, scheme='mailtos')"


def test_channels_are_named_by_scheme_and_by_position_when_a_scheme_repeats() -> None:
    urls = parse_notify_urls(f"{SMS},{MAIL},json://voice-gw.example.test/call?-to={{phone}}")
    assert channel_names(urls) == ["apprise:json#1", "apprise:mailtos", "apprise:json#3"]


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (f"{BOT},nosuch://user:S3cretPw@host", "#2 (nosuch://)"),
        ("mailto://S3cretPw@", "#1 (mailto://)"),
        (f"{SMS},{BOT},wecombot://", "#3 (wecombot://)"),
    ],
)
def test_a_url_apprise_does_not_understand_is_named_by_position_and_scheme_only(
    raw: str, named: str
) -> None:
    with pytest.raises(NotifyUrlError) as caught:
        parse_notify_urls(raw)
    message = str(caught.value)
    assert f"TANFANG_NOTIFY_URLS {named}" in message
    assert "apprise" in message
    assert "S3cretPw" not in message
    assert "host" not in message


def test_text_that_is_not_a_url_is_refused_with_the_comma_rule() -> None:
    with pytest.raises(NotifyUrlError, match=r"#1 is not a URL .*%2C") as caught:
        parse_notify_urls(f"S3cretPw, {BOT}")
    assert "S3cretPw" not in str(caught.value)


def test_a_comma_not_followed_by_a_url_stays_in_its_url_and_apprise_judges_it() -> None:
    bad_key = pytest.raises(NotifyUrlError, match=r"#1 \(wecombot://\) .*%2C")
    with root_records() as records, bad_key as caught:
        parse_notify_urls(f"{BOT}, S3cretPw")
    assert "S3cretPw" not in str(caught.value)
    # apprise logs the bad key: that line never reaches the process's own handlers.
    assert not [r for r in records if "S3cretPw" in r.getMessage()]


def test_a_name_placeholder_is_refused_names_never_go_into_urls() -> None:
    with pytest.raises(NotifyUrlError, match=r"#1 \(json://\) holds a placeholder other than"):
        parse_notify_urls("json://gw.example.test/send?-to={phone}&-who={name}")


def test_notify_url_needs_its_text() -> None:
    url = NotifyUrl(1, "json", "json://gw.example.test/{phone}")
    assert url.for_phone(" 13800001111 ") == "json://gw.example.test/13800001111"
