"""The settings of foreign sources: adapters checked at start, the zigbee2mqtt base topic
cleaned, vendor ingest secrets parsed without ever echoing a secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tanfang.settings import Settings


def settings(**values: object) -> Settings:
    return Settings(**values, _env_file=None)  # type: ignore[arg-type, call-arg]


def test_an_unknown_adapter_refuses_the_start_naming_it() -> None:
    with pytest.raises(ValidationError, match="unknown source 'zwave'"):
        settings(adapters="zigbee2mqtt, zwave")


def test_no_adapters_is_none_and_the_adapter_settings_follow_theirs() -> None:
    chosen = settings(
        adapters=" ",
        zigbee2mqtt_base_topic="/home/z2m/",
        adapter_power_on_w=8,
        adapter_motion_refresh_s=60,
    )
    assert chosen.adapter_kinds == []
    assert chosen.adapter_settings.zigbee2mqtt_base_topic == "home/z2m"
    assert chosen.adapter_settings.power_on_w == 8
    assert chosen.adapter_settings.motion_refresh_s == 60


@pytest.mark.parametrize("base", ["", "/", "z2m/#", "+/z2m"])
def test_a_base_topic_with_wildcards_or_nothing_is_refused(base: str) -> None:
    with pytest.raises(ValidationError, match="zigbee2mqtt_base_topic"):
        settings(zigbee2mqtt_base_topic=base)


def test_ingest_secrets_are_name_secret_pairs_by_http_source() -> None:
    chosen = settings(ingest_secrets="acme:0123456789abcdefXY, pingan.tong:ZYXWVUTSRQPONMLK")
    assert chosen.ingest_secret_by_source == {
        "http:acme": "0123456789abcdefXY",
        "http:pingan.tong": "ZYXWVUTSRQPONMLK",
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("acme", "pair 1: write name:secret"),
        ("acme:ok-secret-0123456789,bad name:other-secret-012345", "pair 2: write name:secret"),
        ("acme:short-secret", "pair 1: the secret needs 16"),
        ("acme:first-secret-0123456,acme:second-secret-012345", "pair 2: acme is named twice"),
    ],
)
def test_a_malformed_ingest_secret_refuses_the_start_without_showing_it(
    value: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as refused:
        settings(ingest_secrets=value)
    assert "secret-0" not in str(refused.value)
    assert "short-secret" not in str(refused.value)
