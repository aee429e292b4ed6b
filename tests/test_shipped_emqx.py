"""The EMQX 5 broker we ship (deploy/emqx/, docker-compose.emqx.yml), checked without EMQX.

No EMQX runs here: emqx.conf is parsed as HOCON (pyhocon) and held to the values that
matter; acl.conf is read as Erlang terms (by ``erl`` itself where it is installed) and must
allow exactly what deploy/mosquitto.acl allows; the compose override is read as YAML and
merged with docker-compose.yml as compose merges files; the users file is checked against
an independent PBKDF2 computation of EMQX's format.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyhocon import ConfigFactory, ConfigTree

from tanfang.settings import Settings
from tests.test_compose import (
    COMPOSE,
    MAX_MESSAGE_BYTES,
    MAX_PACKET_HEADROOM,
    MOSQUITTO_ACL,
    PUBLISH_OVERHEAD,
    REPO,
    VARIABLE,
    docker_compose,
    example_env,
    interpolate,
)

EMQX_DIR = REPO / "deploy" / "emqx"
EMQX_CONF = EMQX_DIR / "emqx.conf"
EMQX_ACL = EMQX_DIR / "acl.conf"
EMQX_PASSWD = EMQX_DIR / "emqx-passwd.py"
OVERRIDE = REPO / "docker-compose.emqx.yml"
BYTE_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
DAY_S = 24 * 3600

Rule = tuple[str, str, str, str]  # (permission, who, action, topic)


@pytest.fixture(scope="module")
def conf() -> ConfigTree:
    return ConfigFactory.parse_file(str(EMQX_CONF))


def byte_size(value: str | int) -> int:
    match = re.fullmatch(r"(\d+)\s*([KMG]?B?)", str(value).upper())
    assert match, f"not a byte size: {value}"
    return int(match.group(1)) * BYTE_UNITS[match.group(2)]


def duration_s(value: str) -> int:
    match = re.fullmatch(r"(\d+)([smhd])", value)
    assert match, f"not a duration: {value}"
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": DAY_S}[match.group(2)]


# --- emqx.conf -------------------------------------------------------------------------------


def test_emqx_limits_a_packet_to_a_256_kib_message_as_mosquitto_does(conf: ConfigTree) -> None:
    size = byte_size(conf.get("mqtt.max_packet_size"))
    assert MAX_MESSAGE_BYTES + PUBLISH_OVERHEAD <= size <= MAX_MESSAGE_BYTES + MAX_PACKET_HEADROOM
    mosquitto = re.search(r"^max_packet_size (\d+)$", mosquitto_conf(), re.M)
    assert mosquitto
    assert size == int(mosquitto.group(1))


def test_emqx_raises_the_inflight_window_and_queue_to_mosquittos_limits(conf: ConfigTree) -> None:
    receive_maximum = Settings.model_fields["mqtt_receive_maximum"].default
    assert conf.get_int("mqtt.max_inflight") >= receive_maximum
    assert conf.get_int("mqtt.max_inflight") == mosquitto_option("max_inflight_messages")
    assert conf.get_int("mqtt.max_mqueue_len") == mosquitto_option("max_queued_messages")


def test_emqx_keeps_sessions_as_long_as_mosquitto_and_longer_than_the_gateway_asks(
    conf: ConfigTree,
) -> None:
    expiry = duration_s(conf.get_string("mqtt.session_expiry_interval"))
    assert expiry == 14 * DAY_S  # persistent_client_expiration 14d
    assert expiry >= Settings.model_fields["mqtt_session_expiry_s"].default
    assert conf.get_string("mqtt.shared_subscription_strategy") == "round_robin"


def test_emqx_listens_plain_on_loopback_tls_on_8883_and_nothing_else(conf: ConfigTree) -> None:
    assert conf.get_string("listeners.tcp.default.bind") == "127.0.0.1:1883"
    assert conf.get_string("listeners.ssl.default.bind") == "0.0.0.0:8883"
    assert conf.get_bool("listeners.ws.default.enable") is False
    assert conf.get_bool("listeners.wss.default.enable") is False
    assert conf.get_string("dashboard.listeners.http.bind") == "127.0.0.1:18083"
    ssl = conf.get_config("listeners.ssl.default.ssl_options")
    certs = "/opt/emqx/etc/certs/tanfang/"
    assert ssl.get_string("certfile") == certs + "server.crt"
    assert ssl.get_string("keyfile") == certs + "server.key"
    assert ssl.get_string("cacertfile") == certs + "ca.crt"
    assert set(ssl.get_list("versions")) <= {"tlsv1.3", "tlsv1.2"}


def test_emqx_admits_only_users_of_its_database_and_denies_what_no_rule_allows(
    conf: ConfigTree,
) -> None:
    (authn,) = conf.get_list("authentication")
    assert authn["mechanism"] == "password_based"
    assert authn["backend"] == "built_in_database"
    assert authn["user_id_type"] == "username"
    assert authn["bootstrap_type"] == "hash"
    algorithm = authn["password_hash_algorithm"]
    passwd = load_passwd_tool()
    assert (algorithm["name"], algorithm["mac_fun"]) == ("pbkdf2", passwd.MAC_FUN)
    assert algorithm["iterations"] == passwd.ITERATIONS
    assert algorithm["dk_length"] == passwd.DK_LENGTH
    assert conf.get_string("authorization.no_match") == "deny"
    (source,) = conf.get_list("authorization.sources")
    assert (source["type"], source["path"]) == ("file", "/opt/emqx/etc/tanfang/acl.conf")
    assert authn["bootstrap_file"] == "/opt/emqx/etc/tanfang/users.csv"


# --- acl.conf against deploy/mosquitto.acl ---------------------------------------------------


def mosquitto_conf() -> str:
    return (REPO / "deploy" / "mosquitto.conf").read_text(encoding="utf-8")


def mosquitto_option(name: str) -> int:
    match = re.search(rf"^{name} (\d+)$", mosquitto_conf(), re.M)
    assert match, name
    return int(match.group(1))


def mosquitto_rules() -> set[Rule]:
    """deploy/mosquitto.acl's active lines in EMQX's terms."""
    rules: set[Rule] = set()
    user = "all"
    actions = {"read": "subscribe", "write": "publish"}
    for raw in MOSQUITTO_ACL.read_text(encoding="utf-8").splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "user":
            user = words[1]
        elif words[0] == "pattern":
            topic = words[2].replace("%u", "${username}")
            rules.add(("allow", "all", actions[words[1]], topic))
        elif words[0] == "topic":
            rules.add(("allow", user, actions[words[1]], words[2]))
    return rules


ERLANG_TOKEN = re.compile(r'\s*(?:(%[^\n]*)|("(?:[^"\\]|\\.)*")|([a-z][a-z_]*)|([{}\[\],.]))')


def erlang_terms(text: str) -> list[Any]:
    """The terms of an Erlang consult file, for the subset acl.conf uses (atoms, strings,
    tuples, lists); anything else is a syntax error, as for file:consult/1."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = ERLANG_TOKEN.match(text, pos)
        assert match, f"acl.conf: syntax error at {text[pos : pos + 40]!r}"
        pos = match.end()
        if match.group(2):
            tokens.append(("str", json.loads(match.group(2))))
        elif match.group(3):
            tokens.append(("atom", match.group(3)))
        elif match.group(4):
            tokens.append(("punct", match.group(4)))
    terms: list[Any] = []
    index = 0

    def term() -> Any:
        nonlocal index
        kind, value = tokens[index]
        index += 1
        if kind != "punct":
            return value
        close = {"{": "}", "[": "]"}.get(value)
        assert close, f"acl.conf: unexpected {value!r}"
        items: list[Any] = []
        while tokens[index] != ("punct", close):
            items.append(term())
            if tokens[index] == ("punct", ","):
                index += 1
        index += 1
        return tuple(items) if close == "}" else items

    while index < len(tokens):
        terms.append(term())
        assert tokens[index] == ("punct", "."), "acl.conf: a rule must end with a full stop"
        index += 1
    return terms


def emqx_rules(terms: list[Any]) -> tuple[set[Rule], Any]:
    """The allow rules of acl.conf as (allow, who, action, topic), and its last rule."""
    rules: set[Rule] = set()
    for rule in terms[:-1]:
        permission, who, action, topics = rule
        name = "all" if who == "all" else who[1]
        assert who == "all" or who[0] == "username", rule
        rules.update((permission, name, action, topic) for topic in topics)
    return rules, terms[-1]


def test_the_emqx_acl_allows_exactly_what_the_mosquitto_acl_allows() -> None:
    rules, last = emqx_rules(erlang_terms(EMQX_ACL.read_text(encoding="utf-8")))
    assert last == ("deny", "all")
    assert rules == mosquitto_rules()
    assert len(rules) == 7


def test_erlang_reads_the_emqx_acl_as_the_same_rules() -> None:
    erl = shutil.which("erl")
    if erl is None:
        pytest.skip("erl is not installed: the acl.conf syntax is checked by the Python reader")
    # file:consult/1 is what reads the file: a syntax error fails here as in EMQX.
    program = (
        f'{{ok, Terms}} = file:consult("{EMQX_ACL}"),'
        'io:format("~s", [lists:flatten(io_lib:format("~w", [length(Terms)]))]),'
        "halt()."
    )
    result = subprocess.run(
        [erl, "-noshell", "-eval", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout) == len(erlang_terms(EMQX_ACL.read_text(encoding="utf-8")))


def test_the_acl_reader_refuses_a_rule_without_its_full_stop() -> None:
    with pytest.raises(AssertionError, match="full stop"):
        erlang_terms('{allow, all, publish, ["a"]}\n{deny, all}.')


# --- users: deploy/emqx/emqx-passwd.py -------------------------------------------------------


def load_passwd_tool() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("emqx_passwd", EMQX_PASSWD)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_passwd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EMQX_PASSWD), *args], capture_output=True, text=True, check=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_emqx_passwd_writes_emqx_pbkdf2_hashes_never_passwords(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    assert run_passwd(str(users), "tanfang-gateway", "s3cret-gw").returncode == 0
    assert run_passwd(str(users), "pat-7f3a", "s3cret-dev").returncode == 0
    assert "s3cret" not in users.read_text(encoding="utf-8")
    assert users.stat().st_mode & 0o777 == 0o640
    rows = {row["user_id"]: row for row in read_csv(users)}
    assert set(rows) == {"tanfang-gateway", "pat-7f3a"}
    for user, password in (("tanfang-gateway", "s3cret-gw"), ("pat-7f3a", "s3cret-dev")):
        row = rows[user]
        # EMQX: lowercase hex of PBKDF2-HMAC-SHA256(password, salt bytes as written).
        expected = hashlib.pbkdf2_hmac("sha256", password.encode(), row["salt"].encode(), 1000, 32)
        assert row["password_hash"] == expected.hex()
        assert row["is_superuser"] == "false"


def test_emqx_passwd_changes_and_deletes_one_user_and_keeps_the_others(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    for user in ("pat-1", "pat-2"):
        assert run_passwd(str(users), user, f"pw-{user}").returncode == 0
    before = {row["user_id"]: row for row in read_csv(users)}
    assert run_passwd(str(users), "pat-1", "new-password").returncode == 0
    after = {row["user_id"]: row for row in read_csv(users)}
    assert after["pat-1"]["password_hash"] != before["pat-1"]["password_hash"]
    assert after["pat-2"] == before["pat-2"]
    assert run_passwd("-D", str(users), "pat-1").returncode == 0
    assert [row["user_id"] for row in read_csv(users)] == ["pat-2"]


@pytest.mark.parametrize("username", ["+", "pat/1", "pat#", "", "x" * 65])
def test_emqx_passwd_refuses_a_username_the_acl_would_read_as_a_pattern(
    tmp_path: Path, username: str
) -> None:
    """${username} in acl.conf: a user named "+" would be allowed every device's topics."""
    users = tmp_path / "users.csv"
    result = run_passwd(str(users), username, "pw")
    assert result.returncode != 0
    assert "username" in result.stderr
    assert not users.exists()


# --- docker-compose.emqx.yml -----------------------------------------------------------------


class ComposeLoader(yaml.SafeLoader):
    """YAML with compose's merge tags: !override replaces, !reset empties."""


ComposeLoader.add_constructor(
    "!override",
    lambda loader, node: ("!override", loader.construct_mapping(node, deep=True)),  # type: ignore[arg-type]
)


def merge(base: Any, override: Any) -> Any:
    """docker compose's merge of a second file: mappings merge key by key."""
    if isinstance(override, tuple) and override[0] == "!override":
        return override[1]
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value)
        return merged
    return override


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    env = example_env()
    env["TANFANG_ADMIN_TOKEN"] = "k3Zt9w1Qx-7hTfLr0aVbq2YpNc"
    base = yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), env))
    override = yaml.load(
        interpolate(OVERRIDE.read_text(encoding="utf-8"), env), Loader=ComposeLoader
    )
    result: dict[str, Any] = merge(base, override)
    return result


def test_the_emqx_override_runs_emqx_instead_of_mosquitto(merged: dict[str, Any]) -> None:
    services = merged["services"]
    assert services["mosquitto"]["profiles"] == ["mosquitto"]  # defined, not started
    started = {name for name, svc in services.items() if "profiles" not in svc}
    assert started == {"emqx", "db", "migrate", "gateway", "api"}
    assert services["emqx"]["image"] == "emqx/emqx:5.8"
    for name in ("gateway", "api"):
        svc = services[name]
        assert str(svc["environment"]["TANFANG_MQTT_URL"]).endswith("@emqx:1883"), name
        assert "mosquitto" not in svc["depends_on"], name
        assert svc["depends_on"]["emqx"]["condition"] == "service_healthy", name
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        Settings(
            **{k.removeprefix("TANFANG_").lower(): v for k, v in svc["environment"].items()},
            _env_file=None,  # type: ignore[call-arg]
        ).require_production()


def test_the_emqx_override_publishes_plain_mqtt_and_dashboard_on_loopback_only(
    merged: dict[str, Any],
) -> None:
    emqx = merged["services"]["emqx"]
    assert emqx["ports"] == ["127.0.0.1:1883:1883", "8883:8883", "127.0.0.1:18083:18083"]
    env = emqx["environment"]
    # Inside the container they must listen on its network; the host publishes loopback.
    assert env["EMQX_LISTENERS__TCP__DEFAULT__BIND"] == "0.0.0.0:1883"
    assert env["EMQX_DASHBOARD__LISTENERS__HTTP__BIND"] == "0.0.0.0:18083"
    assert env["EMQX_NODE__COOKIE"]
    assert env["EMQX_DASHBOARD__DEFAULT_PASSWORD"]


def test_the_emqx_override_mounts_what_emqx_conf_names_and_never_the_ca_key(
    merged: dict[str, Any], conf: ConfigTree
) -> None:
    volumes = merged["services"]["emqx"]["volumes"]
    assert "./deploy/emqx/emqx.conf:/opt/emqx/etc/emqx.conf:ro" in volumes
    mounted = {v.split(":")[1]: v.split(":")[0] for v in volumes}
    (source,) = conf.get_list("authorization.sources")
    (authn,) = conf.get_list("authentication")
    assert mounted[source["path"]] == "./deploy/emqx/acl.conf"
    assert mounted[authn["bootstrap_file"]] == "./deploy/emqx/users.csv"
    certs = str(Path(conf.get_string("listeners.ssl.default.ssl_options.certfile")).parent)
    assert mounted[certs] == "./deploy/certs"
    assert not [v for v in volumes if v.startswith("./deploy/ca")]
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert "deploy/emqx/users.csv" in ignored, "password hashes stay out of git"


def test_the_example_env_fills_every_variable_of_the_emqx_override() -> None:
    used = {m.group(1) for m in VARIABLE.finditer(OVERRIDE.read_text(encoding="utf-8"))}
    assert used <= set(example_env()), f"not in deploy/env.example: {used - set(example_env())}"


def test_docker_compose_accepts_the_emqx_override(tmp_path: Path) -> None:
    docker = docker_compose()
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(OVERRIDE, tmp_path / "docker-compose.emqx.yml")
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    shutil.copy(REPO / "deploy" / "env.example", tmp_path / ".env")
    files = ["-f", "docker-compose.yml", "-f", "docker-compose.emqx.yml"]
    result = subprocess.run(
        [docker, "compose", *files, "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
