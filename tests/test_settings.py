"""Settings: TANFANG_* environment variables and .env, validated at start."""

from __future__ import annotations

import logging
import os
import secrets
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pydantic import ValidationError

from tanfang.settings import Settings, SettingsError, admin_token_problem, warn_at_start

REPO = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "k3Zt9w1Qx-7hTfLr0aVbq2YpNc"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TANFANG_* variable and no .env of the developer's leak into these tests."""
    for name in list(os.environ):
        if name.startswith("TANFANG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_those_of_the_contract() -> None:
    settings = Settings()
    assert settings.mqtt_url is None
    assert settings.database_url is None
    assert settings.mqtt_protocol == "5"
    assert settings.shared_group is None
    assert settings.topic_root == "tanfang/v1"
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.admin_token is None
    assert settings.webhook_url is None
    assert settings.timezone == "Asia/Shanghai"
    assert settings.tz.key == "Asia/Shanghai"


def test_tanfang_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANFANG_MQTT_URL", "mqtt://gw:secret@broker:1883")
    monkeypatch.setenv("TANFANG_MQTT_PROTOCOL", "3.1.1")
    monkeypatch.setenv("TANFANG_SHARED_GROUP", "tanfang")
    monkeypatch.setenv("TANFANG_API_PORT", "9001")
    monkeypatch.setenv("TANFANG_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("TANFANG_BATCH_MAX_ROWS", "250")
    settings = Settings()
    assert settings.mqtt_url == "mqtt://gw:secret@broker:1883"
    assert settings.mqtt_protocol == "3.1.1"
    assert settings.shared_group == "tanfang"
    assert settings.api_port == 9001
    assert settings.tz.key == "Europe/Berlin"
    assert settings.batch_max_rows == 250


def test_a_dot_env_file_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "# comments and foreign keys are fine: docker compose reads this file too\n"
        "POSTGRES_PASSWORD=not-ours\n"
        "TANFANG_DATABASE_URL=postgresql://tanfang@db/tanfang\n"
        f"TANFANG_ADMIN_TOKEN={GOOD_TOKEN}\n"
        "TANFANG_API_PORT=8080\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.database_url == "postgresql://tanfang@db/tanfang"
    assert settings.admin_token == GOOD_TOKEN
    assert settings.api_port == 8080
    monkeypatch.setenv("TANFANG_API_PORT", "8081")
    assert Settings().api_port == 8081, "the environment overrides .env"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "asia/nowhere", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TANFANG_TIMEZONE", zone)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "timezone" in message
    assert "unknown time zone" in message


@pytest.mark.parametrize("root", ["tanfang/+/v1", "tanfang/#", "+", "", "///"])
def test_a_topic_root_with_wildcards_or_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch, root: str
) -> None:
    monkeypatch.setenv("TANFANG_TOPIC_ROOT", root)
    with pytest.raises(ValidationError, match="topic root"):
        Settings()


def test_a_topic_root_loses_its_outer_slashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANFANG_TOPIC_ROOT", "/town/tanfang/v1/")
    assert Settings().topic_root == "town/tanfang/v1"


@pytest.mark.parametrize("token", ["", "changethis", "admin", "secret", "token", "CHANGETHIS"])
def test_a_well_known_admin_token_is_refused(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", token)
    with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN is a well-known"):
        Settings()


def test_a_weak_previous_admin_token_or_one_without_a_current_token_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN_PREVIOUS", secrets.token_urlsafe(32))
    with pytest.raises(ValidationError, match="set without TANFANG_ADMIN_TOKEN"):
        Settings()
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", secrets.token_urlsafe(32))
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN_PREVIOUS", "changethis")
    with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN_PREVIOUS is a well-known"):
        Settings()


def test_a_short_admin_token_is_accepted_with_a_warning_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The contract asks for a token, not for a length: a short one runs, and says so."""
    token = "k3Zt9w1Qx-7hTfLr0aVbq2Y"  # random, but 23 characters
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", token)
    settings = Settings()
    assert settings.admin_token == token
    with caplog.at_level(logging.WARNING, logger="tanfang.settings"):
        warn_at_start(settings)
    assert "TANFANG_ADMIN_TOKEN is weak" in caplog.text
    assert token not in caplog.text


def test_a_strong_admin_token_starts_without_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", secrets.token_urlsafe(32))
    with caplog.at_level(logging.WARNING, logger="tanfang.settings"):
        warn_at_start(Settings())
    assert "weak" not in caplog.text


def test_a_settings_error_does_not_echo_the_other_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANFANG_MQTT_URL", "mqtt://gw:Pw9-broker-secret@broker:1883")
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", "changethis")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "Pw9-broker-secret" not in str(refused.value)
    assert "changethis" not in str(refused.value)


@pytest.mark.parametrize(
    "token",
    [
        "changethischangethischangethis",
        "ChangeThis-ChangeThis-2026-ChangeThis",
        "admin-token-admin-token-admin-token",
        "password123456789password",
        "your-secret-token-here-please-replace",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "000000000000000000000000",
        "abababababababababababababababab",
    ],
)
def test_a_long_but_guessable_admin_token_is_refused(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", token)
    with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN is a well-known"):
        Settings()


def test_a_random_admin_token_of_24_characters_or_more_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for token in (GOOD_TOKEN[:24], GOOD_TOKEN, secrets.token_urlsafe(32), secrets.token_hex(12)):
        monkeypatch.setenv("TANFANG_ADMIN_TOKEN", token)
        assert Settings().admin_token == token


def test_a_random_hex_token_with_few_letters_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digits are half of a hex token's randomness: one `secrets.token_hex(12)` in 80 has
    at most two distinct letters, and was once refused as "guessable" for it."""
    token = "7a3b904713b21770b3a48059"
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", token)
    assert Settings().admin_token == token


def test_no_environment_variable_switches_the_token_check_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TANFANG_DEMO once did; a production .env that carried it served "changethis"."""
    assert "demo" not in Settings.model_fields
    monkeypatch.setenv("TANFANG_DEMO", "true")
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", "changethis")
    with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN"):
        Settings()


async def test_the_demo_makes_a_strong_random_admin_token_when_none_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tanfang.demo import _demo_settings

    # Both URLs set: the demo starts no embedded service for this.
    monkeypatch.setenv("TANFANG_MQTT_URL", "mqtt://127.0.0.1:1")
    monkeypatch.setenv("TANFANG_DATABASE_URL", "postgresql://127.0.0.1:1/none")
    async with AsyncExitStack() as stack:
        first = await _demo_settings(stack)
        second = await _demo_settings(stack)
    assert first.admin_token is not None
    assert admin_token_problem(first.admin_token) is None
    assert first.admin_token != second.admin_token


async def test_the_demo_refuses_a_weak_admin_token_set_by_the_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tanfang.demo import _demo_settings

    monkeypatch.setenv("TANFANG_MQTT_URL", "mqtt://127.0.0.1:1")
    monkeypatch.setenv("TANFANG_DATABASE_URL", "postgresql://127.0.0.1:1/none")
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", "changethis")
    async with AsyncExitStack() as stack:
        with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN"):
            await _demo_settings(stack)


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("TANFANG_API_PORT", "70000", "api_port"),
        ("TANFANG_API_PORT", "http", "api_port"),
        ("TANFANG_MQTT_PROTOCOL", "4", "mqtt_protocol"),
        ("TANFANG_BATCH_MAX_ROWS", "0", "batch_max_rows"),
        ("TANFANG_EVENT_RETENTION_DAYS", "3", "event_retention_days"),
        ("TANFANG_TOKEN_TTL_DAYS", "0", "token_ttl_days"),
        ("TANFANG_TOKEN_ROTATION_GRACE_H", "-1", "token_rotation_grace_h"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert field in str(caught.value)


def test_production_needs_both_urls_and_the_admin_token() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().require_production()
    for name in ("TANFANG_MQTT_URL", "TANFANG_DATABASE_URL", "TANFANG_ADMIN_TOKEN"):
        assert name in str(caught.value)
    Settings(
        mqtt_url="mqtt://broker:1883",
        database_url="postgresql://db/tanfang",
        admin_token=GOOD_TOKEN,
    ).require_production()


def test_the_shipped_example_env_refuses_to_start_until_its_token_is_changed(
    tmp_path: Path,
) -> None:
    example = (REPO / "deploy" / "env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    with pytest.raises(ValidationError, match="TANFANG_ADMIN_TOKEN"):
        Settings()
    (tmp_path / ".env").write_text(
        example.replace("=changethis", f"={GOOD_TOKEN}"), encoding="utf-8"
    )
    settings = Settings()
    assert settings.admin_token == GOOD_TOKEN


def test_the_configuration_page_names_every_setting() -> None:
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"TANFANG_{name.upper()}"
        for name in Settings.model_fields
        if f"`TANFANG_{name.upper()}`" not in page
    ]
    assert missing == [], f"docs/configuration.md does not explain {missing}"


def test_without_a_webhook_url_nothing_is_said_about_notifications(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_at_start(Settings())
    assert caplog.records == []


def test_notify_urls_apprise_understands_are_accepted_and_a_blank_one_is_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = (
        "json://sms-gw.local/send?-to={phone},"
        " mailtos://duty:pw@smtp.example.test?to=a@example.test,b@example.test"
    )
    monkeypatch.setenv("TANFANG_NOTIFY_URLS", urls)
    assert Settings().notify_urls == urls
    monkeypatch.setenv("TANFANG_NOTIFY_URLS", " ")
    assert Settings().notify_urls is None


@pytest.mark.parametrize(
    ("urls", "named"),
    [
        ("wecombot://Bot-Key-42,nosuch://admin:S3cretPw@sms.example.test", "#2 (nosuch://)"),
        ("mailtos://admin:S3cretPw@", "#1 (mailtos://)"),
    ],
)
def test_a_notify_url_apprise_cannot_use_refuses_the_start_naming_its_place_not_its_secret(
    monkeypatch: pytest.MonkeyPatch, urls: str, named: str
) -> None:
    monkeypatch.setenv("TANFANG_NOTIFY_URLS", urls)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert f"TANFANG_NOTIFY_URLS {named} is not a URL apprise understands" in message
    assert "S3cretPw" not in message
    assert "admin" not in message


def test_rules_switched_off_are_read_and_an_unknown_one_is_refused_naming_the_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().detect_off_types is None  # unset: the detectors' own default
    monkeypatch.setenv("TANFANG_DETECT_OFF", "")
    assert Settings().detect_off_types == ()  # every rule runs
    monkeypatch.setenv("TANFANG_DETECT_OFF", "activity_drop, abnormal_vitals")
    assert Settings().detect_off_types == ("activity_drop", "abnormal_vitals")
    monkeypatch.setenv("TANFANG_DETECT_OFF", "activity_drop,decline")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "detect_off" in str(caught.value)
    assert "'decline' is not a detector's alert type" in str(caught.value)
    assert "inactivity" in str(caught.value)


def test_a_simulated_detection_clock_is_read_and_a_bad_one_refused_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().detect_clock is None  # unset: the wall clock
    monkeypatch.setenv("TANFANG_DETECT_CLOCK", " ")
    assert Settings().detect_clock is None
    clock = "2026-11-30T08:00:00+08:00,1764540000,600"
    monkeypatch.setenv("TANFANG_DETECT_CLOCK", clock)
    assert Settings().detect_clock == clock
    for bad, said in (
        ("2026-11-30T08:00:00,1764540000,600", "START needs an offset"),
        ("2026-11-30T08:00:00+08:00,1764540000", "expected START,WALL,SPEED"),
        ("2026-11-30T08:00:00+08:00,1764540000,0", "SPEED is a positive number"),
        ("yesterday,1764540000,600", "START is not an ISO 8601 time"),
    ):
        monkeypatch.setenv("TANFANG_DETECT_CLOCK", bad)
        with pytest.raises(ValidationError) as caught:
            Settings()
        assert "detect_clock" in str(caught.value)
        assert said in str(caught.value)
