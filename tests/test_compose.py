"""docker-compose.yml and the Mosquitto configs we ship: checked without a Docker engine.

The compose file is read as YAML and held to what the deploy docs promise; the shipped
Mosquitto config is started for real with the test rig's Mosquitto binary.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from tanfang.settings import Settings
from tests.rig.mosquitto import CONFIG as RIG_CONFIG
from tests.rig.mosquitto import (
    MAX_PACKET_SIZE,
    MosquittoMissingError,
    find_mosquitto,
    start_mosquitto,
)
from tests.rig.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / "env.example"
MOSQUITTO_CONF = REPO / "deploy" / "mosquitto.conf"
MOSQUITTO_ACL = REPO / "deploy" / "mosquitto.acl"
MAKE_CERTS = REPO / "deploy" / "make-certs.sh"
TANFANG_COMMANDS = {"serve", "gateway", "api", "db"}
SETTING_NAMES = {f"TANFANG_{name.upper()}" for name in Settings.model_fields}
# Mosquitto's shipped defaults, which drop messages for a subscriber that lags.
DEFAULT_MAX_QUEUED = 1000
DEFAULT_MAX_INFLIGHT = 20
# The contract: a message is at most 256 KiB (an array of up to 500 events).
MAX_MESSAGE_BYTES = 256 * 1024
# What a PUBLISH adds to its payload: fixed header (at most 5 bytes), topic length (2), the
# longest device topic under the default root (a 64-character device id), packet id (2).
LONGEST_TOPIC = f"{Settings.model_fields['topic_root'].default}/dev/{'x' * 64}/events"
PUBLISH_OVERHEAD = 5 + 2 + len(LONGEST_TOPIC) + 2
# A packet limit this far above the largest message would let much bigger ones through.
MAX_PACKET_HEADROOM = 4096
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return doc


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def tanfang_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services(compose).items() if "build" in svc}


def example_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for our file."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if value:
            return value
        if op and op.endswith("-"):
            return arg
        if op and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return VARIABLE.sub(one, text)


def mosquitto_options(text: str) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            options.setdefault(key, []).append(value.strip())
    return options


def fenced_blocks(markdown: str) -> list[str]:
    """The contents of the markdown's fenced code blocks."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def assert_limits_raised(text: str, where: str) -> None:
    options = mosquitto_options(text)
    queued = [int(v) for v in options.get("max_queued_messages", [])]
    inflight = [int(v) for v in options.get("max_inflight_messages", [])]
    assert queued, f"{where} leaves max_queued_messages at Mosquitto's {DEFAULT_MAX_QUEUED}"
    assert inflight, f"{where} leaves max_inflight_messages at Mosquitto's {DEFAULT_MAX_INFLIGHT}"
    assert all(q == 0 or q >= 100 * DEFAULT_MAX_QUEUED for q in queued), where
    # 0 means no limit; otherwise the gateway's MQTT 5 receive maximum must fit.
    receive_maximum = Settings.model_fields["mqtt_receive_maximum"].default
    assert all(i == 0 or i >= receive_maximum for i in inflight), where


# --- the compose file ----------------------------------------------------------------------


def test_compose_has_broker_database_migrations_gateway_and_api(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {"mosquitto", "db", "migrate", "gateway", "api"}
    commands = {name: svc["command"] for name, svc in tanfang_services(compose).items()}
    assert commands == {"migrate": ["db", "migrate"], "gateway": ["gateway"], "api": ["api"]}
    assert all(cmd[0] in TANFANG_COMMANDS for cmd in commands.values())


def test_every_image_is_pinned_to_a_major_version(compose: dict[str, Any]) -> None:
    for name, svc in services(compose).items():
        image = svc["image"]
        _, _, tag = image.rpartition(":")
        assert tag != "latest", f"{name}: {image} floats"
        assert re.search(r"\d", tag), f"{name}: {image} names no version"
    assert services(compose)["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert services(compose)["db"]["image"].startswith("timescale/timescaledb:")


def test_tanfang_services_are_built_from_the_deploy_dockerfile(compose: dict[str, Any]) -> None:
    for name, svc in tanfang_services(compose).items():
        build = svc["build"]
        assert (REPO / build["context"] / build["dockerfile"]).is_file(), name
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "uv.lock" in dockerfile
    assert 'ENTRYPOINT ["tanfang"]' in dockerfile


def test_tanfang_services_are_configured_only_by_settings_that_exist(
    compose: dict[str, Any],
) -> None:
    for name, svc in tanfang_services(compose).items():
        names = set(svc["environment"])
        assert names <= SETTING_NAMES, f"{name}: unknown settings {names - SETTING_NAMES}"
        assert {"TANFANG_MQTT_URL", "TANFANG_DATABASE_URL", "TANFANG_ADMIN_TOKEN"} <= names


def test_tanfang_services_wait_for_a_healthy_database_and_the_migration(
    compose: dict[str, Any],
) -> None:
    all_services = services(compose)
    assert "healthcheck" in all_services["db"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in all_services["db"]["volumes"])
    for name, svc in tanfang_services(compose).items():
        assert svc["depends_on"]["db"]["condition"] == "service_healthy", name
    for name in ("gateway", "api"):
        migrate = all_services[name]["depends_on"]["migrate"]
        assert migrate["condition"] == "service_completed_successfully"


def test_the_gateway_keeps_a_fixed_client_id_for_its_persistent_session(
    compose: dict[str, Any],
) -> None:
    gateway = services(compose)["gateway"]["environment"]
    assert gateway["TANFANG_MQTT_CLIENT_ID"]
    assert services(compose)["api"]["environment"]["TANFANG_API_HOST"] == "0.0.0.0"


def test_the_example_env_fills_every_variable_and_gives_valid_settings(
    compose: dict[str, Any],
) -> None:
    env = example_env()
    used = {m.group(1) for m in VARIABLE.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert used <= set(env), f"not in deploy/env.example: {used - set(env)}"
    env["TANFANG_ADMIN_TOKEN"] = "k3Zt9w1Qx-7hTfLr0aVbq2YpNc"
    filled = yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), env))
    for name, svc in tanfang_services(filled).items():
        values = {
            key.removeprefix("TANFANG_").lower(): val for key, val in svc["environment"].items()
        }
        settings = Settings(**values, _env_file=None)  # type: ignore[call-arg]
        settings.require_production()
        assert "@db:5432/" in str(settings.database_url), name
        assert "@mosquitto:1883" in str(settings.mqtt_url), name


def test_a_missing_secret_stops_compose_with_a_message() -> None:
    env = example_env()
    del env["POSTGRES_PASSWORD"]
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(COMPOSE.read_text(encoding="utf-8"), env)


# --- Mosquitto configs ---------------------------------------------------------------------


def test_the_compose_broker_publishes_plain_mqtt_on_loopback_only_and_tls_on_8883(
    compose: dict[str, Any],
) -> None:
    ports = [str(p) for svc in services(compose).values() for p in svc.get("ports", [])]
    assert [p for p in ports if p.endswith(":1883")] == ["127.0.0.1:1883:1883"]
    assert "8883:8883" in services(compose)["mosquitto"]["ports"]
    # The gateway inside the compose network uses the plain listener, by the service name.
    gateway = services(compose)["gateway"]
    assert gateway["environment"]["TANFANG_MQTT_URL"].endswith("@mosquitto:1883")


def test_the_compose_broker_mounts_the_certificates_but_not_the_ca_key(
    compose: dict[str, Any],
) -> None:
    volumes = services(compose)["mosquitto"]["volumes"]
    assert "./deploy/certs:/mosquitto/config/certs:ro" in volumes
    assert not [v for v in volumes if v.startswith("./deploy/ca")]
    options = mosquitto_options(MOSQUITTO_CONF.read_text(encoding="utf-8"))
    assert options["listener"] == ["1883", "8883"]
    assert options["certfile"] == ["/mosquitto/config/certs/server.crt"]
    assert options["keyfile"] == ["/mosquitto/config/certs/server.key"]
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert {"deploy/certs/", "deploy/ca/"} <= set(ignored), "keys must stay out of git"


def test_the_compose_broker_mounts_the_shipped_config(compose: dict[str, Any]) -> None:
    volumes = services(compose)["mosquitto"]["volumes"]
    assert "./deploy/mosquitto.conf:/mosquitto/config/mosquitto.conf:ro" in volumes
    assert "./deploy/mosquitto.acl:/mosquitto/config/acl:ro" in volumes
    assert mosquitto_options(MOSQUITTO_CONF.read_text(encoding="utf-8"))["acl_file"] == [
        "/mosquitto/config/acl"
    ]


def test_the_shipped_acl_names_only_topics_under_the_default_root() -> None:
    root = Settings.model_fields["topic_root"].default
    topics = [
        line.split()[-1]
        for line in MOSQUITTO_ACL.read_text(encoding="utf-8").splitlines()
        if line.startswith(("topic ", "pattern "))
    ]
    assert len(topics) == 7
    assert all(t.startswith((f"{root}/dev/", f"{root}/alerts/")) for t in topics), topics


def broker_configs() -> list[tuple[str, str]]:
    """(where, text) of every Mosquitto config we ship, start, or show in docs/deploy.md."""
    defaults = inspect.signature(start_mosquitto).parameters
    rig = RIG_CONFIG.format(
        port=1883,
        max_queued=defaults["max_queued"].default,
        max_inflight=defaults["max_inflight"].default,
        max_packet_size=MAX_PACKET_SIZE,
    )
    deploy_doc = REPO / "docs" / "deploy.md"
    blocks = fenced_blocks(deploy_doc.read_text(encoding="utf-8"))
    broker_blocks = [b for b in blocks if re.search(r"^listener ", b, re.M)]
    assert broker_blocks, "docs/deploy.md shows the broker config"
    return [
        ("deploy/mosquitto.conf", MOSQUITTO_CONF.read_text(encoding="utf-8")),
        ("tests/rig/mosquitto.py", rig),
        *[("a config in docs/deploy.md", block) for block in broker_blocks],
    ]


def test_every_mosquitto_config_we_ship_or_start_raises_both_limits() -> None:
    for where, text in broker_configs():
        assert_limits_raised(text, where)


def test_every_mosquitto_config_we_ship_or_start_limits_a_packet_to_a_256_kib_message() -> None:
    for where, text in broker_configs():
        options = mosquitto_options(text)
        # Deprecated in Mosquitto 2, and it answers "success" to a 3.1.1 device it refuses.
        assert "message_size_limit" not in options, where
        sizes = [int(v) for v in options.get("max_packet_size", [])]
        assert sizes, f"{where} leaves max_packet_size unlimited"
        lowest = MAX_MESSAGE_BYTES + PUBLISH_OVERHEAD
        assert all(lowest <= v <= MAX_MESSAGE_BYTES + MAX_PACKET_HEADROOM for v in sizes), where


@dataclass(frozen=True)
class ShippedBroker:
    port: int
    passwords: dict[str, str]  # username -> password
    tls_port: int
    ca_file: Path  # made by deploy/make-certs.sh, with the broker's certificate


GATEWAY_USER = "tanfang-gateway"
DEVICES = ("pat-7f3a", "pat-9c21")


@pytest.fixture
def shipped_broker(tmp_path: Path) -> Iterator[ShippedBroker]:
    """Mosquitto running deploy/mosquitto.conf and deploy/mosquitto.acl, with paths and
    ports moved under tmp_path, and the certificates of deploy/make-certs.sh for 127.0.0.1;
    users: the gateway and two devices (username = device id)."""
    try:
        binary = find_mosquitto()
    except MosquittoMissingError:
        if os.environ.get("TANFANG_TEST_MQTT_URL"):
            pytest.skip("no mosquitto binary; the tests use TANFANG_TEST_MQTT_URL")
        raise
    passwd_tool = shutil.which("mosquitto_passwd")
    if passwd_tool is None:
        pytest.skip("mosquitto_passwd is not installed")
    passwords = {GATEWAY_USER: "s3cret-gw", **{d: f"s3cret-{d}" for d in DEVICES}}
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in passwords.items():
        subprocess.run([passwd_tool, "-b", str(passwd), user, password], check=True)
    made = make_certs(tmp_path, "127.0.0.1")
    assert made.returncode == 0, made.stderr
    ca_file = tmp_path / "certs" / "ca.crt"
    port, tls_port = free_port(), free_port()
    text = MOSQUITTO_CONF.read_text(encoding="utf-8")
    text = text.replace("listener 1883", f"listener {port} 127.0.0.1")
    text = text.replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    text = text.replace("/mosquitto/config/certs/", f"{tmp_path}/certs/")
    text = text.replace("/mosquitto/config/passwd", str(passwd))
    text = text.replace("/mosquitto/config/acl", str(MOSQUITTO_ACL))
    text = text.replace("/mosquitto/data/", f"{tmp_path}/")
    text = text.replace("log_dest stdout", "log_dest stderr")
    if os.geteuid() == 0:
        text += "user root\n"
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(text, encoding="utf-8")
    log = tmp_path / "mosquitto.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([binary, "-c", str(conf)], stderr=log_file)
    try:
        try:
            wait_for_port("127.0.0.1", port, deadline_s=15)
            wait_for_port("127.0.0.1", tls_port, deadline_s=15)
        except TimeoutError:
            pytest.fail(
                f"mosquitto refused deploy/mosquitto.conf: {log.read_text(encoding='utf-8')}"
            )
        yield ShippedBroker(port, passwords, tls_port, ca_file)
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_certs(directory: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """deploy/make-certs.sh writing into ``directory``/certs and ``directory``/ca."""
    env = {**os.environ, "CERTS_DIR": str(directory / "certs"), "CA_DIR": str(directory / "ca")}
    return subprocess.run(
        [str(MAKE_CERTS), *names], env=env, capture_output=True, text=True, check=False
    )


def connect_result(port: int, username: str | None, password: str | None) -> int:
    """The CONNACK reason code the broker answers (0 = accepted)."""
    answers: list[int] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if username is not None:
        client.username_pw_set(username, password)
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason.value)
    client.connect("127.0.0.1", port)
    deadline = time.monotonic() + 10
    try:
        while not answers and time.monotonic() < deadline:
            client.loop(timeout=0.1)
    finally:
        client.disconnect()
    assert answers, "the broker never answered CONNECT"
    return answers[0]


def test_the_shipped_broker_config_starts_and_admits_only_known_users(
    shipped_broker: ShippedBroker,
) -> None:
    port, password = shipped_broker.port, shipped_broker.passwords[GATEWAY_USER]
    assert connect_result(port, GATEWAY_USER, password) == 0
    assert connect_result(port, None, None) != 0
    assert connect_result(port, GATEWAY_USER, "wrong") != 0


class Peer:
    """A client of the shipped broker that keeps what it receives (paho's own thread)."""

    def __init__(
        self,
        broker: ShippedBroker,
        username: str,
        *,
        v5: bool = False,
        will: str | None = None,
        tls: bool = False,
    ) -> None:
        """``tls``: over the TLS listener, verifying the broker with the CA as a device does."""
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{username}-{os.getpid()}", protocol=protocol
        )
        self.client.username_pw_set(username, broker.passwords[username])
        if tls:
            self.client.tls_set(ca_certs=str(broker.ca_file))
        self.dropped = threading.Event()
        self.client.on_disconnect = lambda *_: self.dropped.set()
        if will is not None:
            self.client.will_set(will, b"offline", qos=1, retain=True)
        self.received: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed: dict[int, threading.Event] = {}
        self.client.on_connect = lambda _c, _u, _f, reason, _p: (
            self._connected.set() if reason.value == 0 else None
        )
        self.client.on_message = self._on_message
        # The SUBACK may come in before subscribe() has returned its mid: either side makes
        # the event (dict.setdefault is atomic).
        self.client.on_subscribe = lambda _c, _u, mid, _codes, _p: self._subscribed.setdefault(
            mid, threading.Event()
        ).set()
        self.client.connect("127.0.0.1", broker.tls_port if tls else broker.port)
        self.client.loop_start()
        assert self._connected.wait(10), f"{username} could not connect"

    def _on_message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, bytes(message.payload)))

    def subscribe(self, *topics: str) -> None:
        for topic in topics:
            result, mid = self.client.subscribe(topic, qos=1)
            assert result == mqtt.MQTT_ERR_SUCCESS
            assert mid is not None
            done = self._subscribed.setdefault(mid, threading.Event())
            assert done.wait(10), f"no SUBACK for {topic}"

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)

    def topics(self) -> list[str]:
        with self._lock:
            return [topic for topic, _ in self.received]

    def wait_for(self, topic: str) -> list[str]:
        """What arrived up to and including ``topic`` (which must arrive)."""
        deadline = time.monotonic() + 10
        while topic not in self.topics():
            assert time.monotonic() < deadline, f"{topic} never arrived; got {self.topics()}"
            time.sleep(0.02)
        return self.topics()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def peers(shipped_broker: ShippedBroker) -> Iterator[dict[str, Peer]]:
    made: dict[str, Peer] = {}
    try:
        for user in (GATEWAY_USER, *DEVICES):
            made[user] = Peer(shipped_broker, user)
        yield made
    finally:
        for peer in made.values():
            peer.close()


def dev(device_id: str, channel: str) -> str:
    return f"tanfang/v1/dev/{device_id}/{channel}"


def test_a_device_cannot_publish_as_another_device(peers: dict[str, Peer]) -> None:
    """A leaked device password must not fake another elder's SOS, check-in or status."""
    gateway, mine = peers[GATEWAY_USER], peers[DEVICES[0]]
    gateway.subscribe(dev("+", "events"), dev("+", "status"))
    mine.publish(dev(DEVICES[1], "events"), b'{"kind": "sos"}')
    mine.publish(dev(DEVICES[1], "status"), b"offline")
    mine.publish(dev(DEVICES[1], "cmd"), b'{"cmd": "checkin_prompt"}')
    mine.publish(dev(DEVICES[0], "events"), b'{"kind": "checkin"}')
    # Messages of one client reach a subscriber in order: once this one is in, the
    # refused ones above would have been too.
    seen = gateway.wait_for(dev(DEVICES[0], "events"))
    assert seen == [dev(DEVICES[0], "events")]
    mine.publish(dev(DEVICES[0], "status"), b"online")
    assert gateway.wait_for(dev(DEVICES[0], "status"))[-1] == dev(DEVICES[0], "status")


def test_a_device_reads_only_its_own_commands_and_no_events(peers: dict[str, Peer]) -> None:
    gateway, mine, other = peers[GATEWAY_USER], peers[DEVICES[0]], peers[DEVICES[1]]
    mine.subscribe(dev(DEVICES[1], "cmd"), dev("+", "events"), dev(DEVICES[0], "cmd"))
    other.subscribe(dev(DEVICES[1], "cmd"))
    # Mosquitto queues a message to every subscriber before it acknowledges it, so this
    # event would reach ``mine`` before the gateway's command below if it were allowed to.
    other.publish(dev(DEVICES[1], "events"), b'{"kind": "checkin"}')
    gateway.publish(dev(DEVICES[1], "cmd"), b'{"cmd": "checkin_prompt"}')
    assert other.wait_for(dev(DEVICES[1], "cmd")) == [dev(DEVICES[1], "cmd")]
    gateway.publish(dev(DEVICES[0], "cmd"), b'{"cmd": "checkin_prompt"}')
    assert mine.wait_for(dev(DEVICES[0], "cmd")) == [dev(DEVICES[0], "cmd")]


def test_a_device_last_will_on_its_own_status_reaches_the_gateway(
    shipped_broker: ShippedBroker, peers: dict[str, Peer]
) -> None:
    gateway = peers[GATEWAY_USER]
    gateway.subscribe(dev("+", "status"))
    device = DEVICES[0]
    mortal = Peer(shipped_broker, device, will=dev(device, "status"))
    sock = mortal.client.socket()
    assert sock is not None
    mortal.client.loop_stop()
    sock.close()  # gone without DISCONNECT: the broker sends the Will
    assert gateway.wait_for(dev(device, "status")) == [dev(device, "status")]


def test_the_gateway_reads_every_device_through_a_shared_subscription(
    shipped_broker: ShippedBroker, peers: dict[str, Peer]
) -> None:
    shared = Peer(shipped_broker, GATEWAY_USER, v5=True)
    try:
        shared.subscribe(f"$share/tanfang/{dev('+', 'events')}")
        for device in DEVICES:
            peers[device].publish(dev(device, "events"), b'{"kind": "heartbeat"}')
        shared.wait_for(dev(DEVICES[1], "events"))
        assert set(shared.topics()) == {dev(d, "events") for d in DEVICES}
    finally:
        shared.close()


# --- docker compose itself, where it is installed ------------------------------------------


def docker_compose() -> str:
    """The docker CLI with its compose plugin; the test is skipped where there is none."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    return docker


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = docker_compose()
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    (tmp_path / "deploy" / "mosquitto.passwd").touch()
    result = subprocess.run(
        [docker, "compose", "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
