"""The shipped broker config for real: its TLS listener with the certificates of
deploy/make-certs.sh, and its message size limit. (The broker fixture is the one of
tests/test_compose.py: deploy/mosquitto.conf and deploy/mosquitto.acl, moved under tmp.)"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from tanfang.settings import Settings
from tests.gateway.helpers import fetch, poll, running_gateway
from tests.test_compose import (
    DEVICES,
    GATEWAY_USER,
    MAX_MESSAGE_BYTES,
    Peer,
    ShippedBroker,
    dev,
    make_certs,
    peers,
    shipped_broker,
)

__all__ = ["peers", "shipped_broker"]  # fixtures, used by name

# Past the packet limit (max_packet_size) by more than any header: refused whatever the topic.
OVERSIZED_BYTES = MAX_MESSAGE_BYTES + 8 * 1024


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _verifies(ca: Path, cert: Path) -> bool:
    done = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca), str(cert)], capture_output=True, check=False
    )
    return done.returncode == 0


# --- deploy/make-certs.sh ------------------------------------------------------------------


def test_make_certs_gives_a_server_certificate_signed_by_its_ca_and_a_private_ca_key(
    tmp_path: Path,
) -> None:
    done = make_certs(tmp_path, "mqtt.example.org", "203.0.113.7")
    assert done.returncode == 0, done.stderr
    certs, ca = tmp_path / "certs", tmp_path / "ca"
    assert {p.name for p in certs.iterdir()} == {"ca.crt", "server.crt", "server.key"}
    assert _verifies(certs / "ca.crt", certs / "server.crt")
    names = subprocess.run(
        ["openssl", "x509", "-in", str(certs / "server.crt"), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:mqtt.example.org" in names
    assert "IP Address:203.0.113.7" in names
    assert (ca / "ca.key").stat().st_mode & 0o077 == 0, "the CA key is for its owner only"
    assert (certs / "server.key").stat().st_mode & 0o007 == 0, "no world access to the key"
    assert str(certs / "ca.crt") in done.stdout, "it says what to copy to devices"


def test_make_certs_run_again_changes_nothing_and_keeps_the_ca(tmp_path: Path) -> None:
    assert make_certs(tmp_path, "mqtt.example.org").returncode == 0
    before = _files(tmp_path)
    again = make_certs(tmp_path, "other.example.org")
    assert again.returncode == 0, again.stderr
    assert "refusing to overwrite" in again.stdout
    assert _files(tmp_path) == before


def test_make_certs_renews_a_deleted_server_certificate_with_the_same_ca(tmp_path: Path) -> None:
    assert make_certs(tmp_path, "mqtt.example.org").returncode == 0
    certs = tmp_path / "certs"
    ca_before = (certs / "ca.crt").read_bytes()
    old = (certs / "server.crt").read_bytes()
    (certs / "server.crt").unlink()
    (certs / "server.key").unlink()
    assert make_certs(tmp_path, "mqtt.example.org").returncode == 0
    assert (certs / "ca.crt").read_bytes() == ca_before
    assert (certs / "server.crt").read_bytes() != old
    assert _verifies(certs / "ca.crt", certs / "server.crt")


def test_make_certs_refuses_to_make_a_ca_over_half_of_one(tmp_path: Path) -> None:
    assert make_certs(tmp_path, "mqtt.example.org").returncode == 0
    (tmp_path / "certs" / "ca.crt").unlink()
    done = make_certs(tmp_path, "mqtt.example.org")
    assert done.returncode == 1
    assert "refusing" in done.stderr
    assert not (tmp_path / "certs" / "ca.crt").exists()


def test_make_certs_without_a_name_says_how_to_call_it(tmp_path: Path) -> None:
    done = make_certs(tmp_path)
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert not (tmp_path / "certs").exists()


# --- the TLS listener of deploy/mosquitto.conf ---------------------------------------------


def test_a_device_verifying_the_broker_with_the_ca_publishes_over_the_shipped_tls_listener(
    shipped_broker: ShippedBroker, peers: dict[str, Peer]
) -> None:
    gateway = peers[GATEWAY_USER]  # on the plain listener, as in the compose network
    gateway.subscribe(dev("+", "events"))
    device = Peer(shipped_broker, DEVICES[0], tls=True)
    try:
        device.publish(dev(DEVICES[0], "events"), b'{"kind": "sos"}')
        assert gateway.wait_for(dev(DEVICES[0], "events")) == [dev(DEVICES[0], "events")]
    finally:
        device.close()


async def test_the_gateway_stores_an_event_sent_through_the_shipped_tls_listener(
    settings: Settings, shipped_broker: ShippedBroker
) -> None:
    password = shipped_broker.passwords[GATEWAY_USER]
    tls = settings.model_copy(
        update={
            "mqtt_url": f"mqtts://{GATEWAY_USER}:{password}@127.0.0.1:{shipped_broker.tls_port}",
            "mqtt_ca_file": shipped_broker.ca_file,
            "topic_root": "tanfang/v1",  # the root the shipped ACL names
        }
    )
    url = str(settings.database_url)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("INSERT INTO elders (id, name) VALUES ('KP-1', 'test elder')")
        await conn.execute(
            "INSERT INTO devices (id, type, elder_id) VALUES (%s, 'sos_button', 'KP-1')",
            (DEVICES[0],),
        )
    async with running_gateway(tls):
        device = Peer(shipped_broker, DEVICES[0], tls=True)
        try:
            device.publish(dev(DEVICES[0], "events"), b'{"kind": "sos"}')
        finally:
            device.close()
        rows = await poll(
            lambda: fetch(url, "SELECT device_id, kind FROM events"), until=bool, what="the sos"
        )
    assert rows == [(DEVICES[0], "sos")]


# --- the message size limit ----------------------------------------------------------------


def test_the_shipped_broker_passes_a_256_kib_message_and_drops_a_device_sending_more(
    shipped_broker: ShippedBroker, peers: dict[str, Peer]
) -> None:
    gateway, device = peers[GATEWAY_USER], peers[DEVICES[0]]
    topic = dev(DEVICES[0], "events")
    gateway.subscribe(topic)
    largest = b"x" * MAX_MESSAGE_BYTES
    device.publish(topic, largest)
    gateway.wait_for(topic)
    assert gateway.received == [(topic, largest)]

    device.client.publish(topic, b"y" * OVERSIZED_BYTES, qos=1)
    assert device.dropped.wait(10), "the broker kept a device that sent a bigger packet"
    # A new connection (paho's own reconnect would send the big message again, and be dropped
    # again): what it sends arrives after anything the broker accepted on the old one.
    device.close()
    again = Peer(shipped_broker, DEVICES[0])
    try:
        again.publish(topic, b"after")
        _wait_until(lambda: (topic, b"after") in gateway.received, "the message after")
    finally:
        again.close()
    assert [len(p) for _, p in gateway.received] == [MAX_MESSAGE_BYTES, len(b"after")]


def _wait_until(condition: Callable[[], bool], what: str, deadline_s: float = 10.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, f"{what}: not within {deadline_s}s"
        time.sleep(0.02)
