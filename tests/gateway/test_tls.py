"""mqtts:// against a real Mosquitto with a TLS listener and the session's private CA."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import orjson
import pytest

from gateway.broker import MqttError
from gateway.mqtt import MqttSession
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, running_gateway, scalar
from tests.gateway.test_main import run_gateway
from tests.rig.certs import CertificateAuthority, ServerCertificate
from tests.rig.mosquitto import Mosquitto, start_mosquitto


def _mqtt_error(raised: BaseException) -> MqttError:
    """The MqttError the gateway stopped with (also from within its task group's group)."""
    if isinstance(raised, MqttError):
        return raised
    if isinstance(raised, BaseExceptionGroup):
        for inner in raised.exceptions:
            try:
                return _mqtt_error(inner)
            except AssertionError:
                continue
    raise AssertionError(f"not an MqttError: {raised!r}")


async def _gateway_error(settings: Settings) -> MqttError:
    with pytest.raises(BaseException) as stopped:
        async with running_gateway(settings):
            pass
    return _mqtt_error(stopped.value)


async def test_gateway_over_mqtts_with_the_ca_stores_an_event_published_over_tls(
    settings: Settings, tls_broker: Mosquitto, broker_certificate: ServerCertificate
) -> None:
    ca_file = broker_certificate.ca.cert
    tls = settings.model_copy(update={"mqtt_url": tls_broker.tls_url, "mqtt_ca_file": ca_file})
    await register(str(settings.database_url), ["tls-dev"], device_type="sos_button")
    async with running_gateway(tls) as gateway:
        assert gateway.health()["broker"] == {"connected": True, "subscribed": True, "inflight": 0}
        device = Publisher(tls_broker.tls_url, ca_file=ca_file)
        device.connect()
        try:
            device.publish(f"{settings.topic_root}/dev/tls-dev/events", b'{"kind": "checkin"}')
        finally:
            device.close()
        rows = await poll(
            lambda: fetch(str(settings.database_url), "SELECT device_id, kind FROM events"),
            until=bool,
            what="the event published over TLS",
        )
    assert rows == [("tls-dev", "checkin")]


async def test_gateway_with_another_ca_refuses_the_broker_naming_the_certificate_problem(
    settings: Settings, tls_broker: Mosquitto, other_ca: CertificateAuthority
) -> None:
    wrong = settings.model_copy(
        update={"mqtt_url": tls_broker.tls_url, "mqtt_ca_file": other_ca.cert}
    )
    error = str(await asyncio.wait_for(_gateway_error(wrong), timeout=20))
    assert "\n" not in error
    assert error.startswith(f"the broker's TLS certificate at 127.0.0.1:{tls_broker.tls_port}")
    assert "unable to get local issuer certificate" in error


def test_tanfang_gateway_with_another_ca_stops_with_one_line_naming_the_problem(
    tmp_path: Path, database_url: str, tls_broker: Mosquitto, other_ca: CertificateAuthority
) -> None:
    done = run_gateway(
        tmp_path,
        TANFANG_MQTT_URL=tls_broker.tls_url,
        TANFANG_MQTT_CA_FILE=str(other_ca.cert),
        TANFANG_DATABASE_URL=database_url,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tanfang: the broker's TLS certificate at 127.0.0.1:")
    assert "refused: unable to get local issuer certificate" in last


async def test_gateway_without_a_ca_file_does_not_trust_a_private_ca(
    settings: Settings, tls_broker: Mosquitto
) -> None:
    system_cas = settings.model_copy(update={"mqtt_url": tls_broker.tls_url})
    error = str(await asyncio.wait_for(_gateway_error(system_cas), timeout=20))
    assert "unable to get local issuer certificate" in error
    assert "TANFANG_MQTT_CA_FILE is not set" in error


async def test_gateway_refuses_a_broker_whose_certificate_names_another_host(
    settings: Settings, tls_broker: Mosquitto, broker_certificate: ServerCertificate
) -> None:
    # The certificate is for 127.0.0.1; "localhost" reaches the same listener.
    elsewhere = settings.model_copy(
        update={
            "mqtt_url": f"mqtts://localhost:{tls_broker.tls_port}",
            "mqtt_ca_file": broker_certificate.ca.cert,
        }
    )
    error = str(await asyncio.wait_for(_gateway_error(elsewhere), timeout=20))
    assert "\n" not in error
    assert "Hostname mismatch" in error


async def test_plain_mqtt_url_to_the_tls_port_is_refused_saying_use_mqtts(
    settings: Settings, tls_broker: Mosquitto
) -> None:
    plain = settings.model_copy(update={"mqtt_url": f"mqtt://127.0.0.1:{tls_broker.tls_port}"})
    error = str(await asyncio.wait_for(_gateway_error(plain), timeout=20))
    assert error.startswith(f"127.0.0.1:{tls_broker.tls_port} is a TLS port")
    assert "use mqtts://" in error


def test_a_ca_file_with_a_plain_url_is_refused_before_sending_the_password(
    broker_certificate: ServerCertificate,
) -> None:
    settings = Settings(
        mqtt_url="mqtt://gw:secret@127.0.0.1:1883",
        mqtt_ca_file=broker_certificate.ca.cert,
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(MqttError, match=r"TANFANG_MQTT_CA_FILE is set but .* plain mqtt://"):
        MqttSession(settings, lambda *_: asyncio.get_running_loop().create_future())


def test_an_unreadable_ca_file_is_refused_naming_the_setting(tmp_path: Path) -> None:
    settings = Settings(
        mqtt_url="mqtts://127.0.0.1",
        mqtt_ca_file=tmp_path / "missing.crt",
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(MqttError, match=r"^TANFANG_MQTT_CA_FILE .*missing\.crt: not a readable"):
        MqttSession(settings, lambda *_: asyncio.get_running_loop().create_future())


async def test_gateway_over_mqtts_reconnects_after_the_broker_restarts_and_stores_what_follows(
    settings: Settings, broker_certificate: ServerCertificate
) -> None:
    broker = start_mosquitto(tls=broker_certificate)  # its own: it is restarted
    ca_file = broker_certificate.ca.cert
    tls = settings.model_copy(update={"mqtt_url": broker.tls_url, "mqtt_ca_file": ca_file})
    url, topic = str(settings.database_url), f"{settings.topic_root}/dev/tls-dev/events"
    await register(url, ["tls-dev"])
    try:
        async with running_gateway(tls):
            broker.restart()
            device = Publisher(broker.tls_url, ca_file=ca_file)
            device.connect()
            sent = itertools.count()

            async def publish_then_count() -> int:
                # Until the gateway has subscribed again, the restarted broker (no
                # persistence) has nobody to give a message to: keep sending.
                device.publish(topic, orjson.dumps({"kind": "heartbeat", "seq": next(sent)}))
                return int(await scalar(url, "SELECT count(*) FROM events"))

            try:
                await poll(publish_then_count, until=bool, deadline_s=30, what="an event")
            finally:
                device.close()
    finally:
        broker.stop()
