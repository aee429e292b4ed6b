"""Broker URLs and subscriptions."""

from __future__ import annotations

import pytest

from gateway.broker import BrokerAddress, MqttError, parse_url, subscriptions
from tanfang.settings import Settings


def test_mqtt_url_with_credentials_gives_host_port_and_login() -> None:
    assert parse_url("mqtt://gw%40town:p%3Ass@broker.local:1884") == BrokerAddress(
        "broker.local", 1884, False, "gw@town", "p:ss"
    )


def test_mqtts_url_means_tls_on_port_8883_by_default() -> None:
    assert parse_url("mqtts://broker.local") == BrokerAddress(
        "broker.local", 8883, True, None, None
    )


@pytest.mark.parametrize("url", ["http://broker", "broker:1883", "mqtt://"])
def test_other_urls_are_refused_with_an_error(url: str) -> None:
    with pytest.raises(MqttError):
        parse_url(url)


def test_subscriptions_cover_events_and_status_and_use_the_shared_group() -> None:
    plain = Settings(topic_root="t/v1", _env_file=None)  # type: ignore[call-arg]
    assert subscriptions(plain) == ["t/v1/dev/+/events", "t/v1/dev/+/status"]
    shared = plain.model_copy(update={"shared_group": "tanfang"})
    assert subscriptions(shared) == [
        "$share/tanfang/t/v1/dev/+/events",
        "$share/tanfang/t/v1/dev/+/status",
    ]


def test_foreign_sources_filters_are_subscribed_beside_through_the_shared_group() -> None:
    plain = Settings(topic_root="t/v1", _env_file=None)  # type: ignore[call-arg]
    shared = plain.model_copy(update={"shared_group": "tanfang"})
    extra = ["zigbee2mqtt/+", "zigbee2mqtt/+/availability", "t/v1/dev/+/events"]
    assert subscriptions(shared, extra) == [
        "$share/tanfang/t/v1/dev/+/events",
        "$share/tanfang/t/v1/dev/+/status",
        "$share/tanfang/zigbee2mqtt/+",
        "$share/tanfang/zigbee2mqtt/+/availability",
    ]
