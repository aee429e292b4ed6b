"""Fixtures shared by every test: real PostgreSQL and Mosquitto, a fresh database and topic
root per test."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from store.migrate import migrate_url
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher
from tests.rig.certs import (
    CertificateAuthority,
    ServerCertificate,
    issue_server_certificate,
    make_ca,
)
from tests.rig.mosquitto import Mosquitto, MosquittoMissingError, start_mosquitto
from tests.rig.services import Services, running_services


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with running_services() as found:
        yield found


@pytest.fixture(scope="session")
def migrated_template(services: Services) -> Iterator[str]:
    """A database migrated once, copied by every test that wants a current schema."""
    url = services.create_database()
    asyncio.run(migrate_url(url))
    name = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    yield name
    services.drop_database(url)


@pytest.fixture
def empty_database_url(services: Services) -> Iterator[str]:
    url = services.create_database()
    yield url
    services.drop_database(url)


@pytest.fixture
def database_url(services: Services, migrated_template: str) -> Iterator[str]:
    """A fresh database with the current schema, dropped after the test."""
    url = services.create_database(template=migrated_template)
    yield url
    services.drop_database(url)


@pytest.fixture(scope="session")
def mqtt_url(services: Services) -> str:
    return services.mqtt_url


@pytest.fixture(scope="session")
def broker_certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    """The session's private CA and the certificate of a broker at 127.0.0.1."""
    root: Path = tmp_path_factory.mktemp("tls")
    return issue_server_certificate(make_ca(root / "ca", "tanfang-test-ca"), root / "broker")


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    """A CA that signed nothing the brokers use: the wrong one to trust."""
    return make_ca(tmp_path_factory.mktemp("tls-other"), "not-the-broker-ca")


@pytest.fixture(scope="session")
def tls_broker(broker_certificate: ServerCertificate) -> Iterator[Mosquitto]:
    """A Mosquitto of its own with a plain and a TLS listener (the rig's config)."""
    try:
        broker = start_mosquitto(tls=broker_certificate)
    except MosquittoMissingError:
        if os.environ.get("TANFANG_TEST_MQTT_URL"):
            pytest.skip("no mosquitto binary to start a TLS broker with")
        raise
    yield broker
    broker.stop()


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    """A device's MQTT connection to the rig's broker (paho, QoS 1, waits for PUBACKs)."""
    pub = Publisher(mqtt_url)
    pub.connect()
    yield pub
    pub.close()


@pytest.fixture
def topic_root() -> str:
    return f"test/{uuid.uuid4().hex[:12]}/v1"


@pytest.fixture
def admin_token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def settings(database_url: str, mqtt_url: str, topic_root: str, admin_token: str) -> Settings:
    return Settings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_root=topic_root,
        admin_token=admin_token,
        mqtt_client_id=f"tanfang-test-{uuid.uuid4().hex[:8]}",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[object]:
    from store.pool import open_pool

    async with open_pool(database_url, max_size=4) as opened:
        yield opened
