"""A command that cannot go on says one line naming what failed and what to do; the
traceback only with ``--debug``; never an exception group on the terminal."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.config import ConfigError as ApiConfigError
from gateway.config import ConfigError as GatewayConfigError
from simulators.register import RegisterError
from tanfang.cli import app
from tanfang.failure import describe, one_line_errors, root_cause
from tests.rig.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
REFUSED = "POST elders KP-700018: HTTP 422: refused fields refusal_reason"


def _failing_app(error: BaseException) -> typer.Typer:
    cli = typer.Typer(pretty_exceptions_enable=False)

    @cli.command()
    @one_line_errors
    def fail(households: int = 3) -> None:
        assert households == 3, "the wrapper keeps the command's options"
        raise error

    @cli.command()
    def other() -> None:
        pass

    return cli


def test_an_error_inside_a_task_group_is_one_line_naming_it_and_what_to_do() -> None:
    group = BaseExceptionGroup(
        "unhandled errors in a TaskGroup", [asyncio.CancelledError(), RegisterError(REFUSED)]
    )
    result = CliRunner().invoke(_failing_app(group), ["fail"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"tanfang: {REFUSED}; ")
    assert "report it" in lines[0]
    assert "ExceptionGroup" not in result.output
    assert "Traceback" not in result.output


def test_an_unexpected_error_names_its_type_and_place_but_not_its_text() -> None:
    error = ValueError("王小明 13812345678")
    result = CliRunner().invoke(_failing_app(error), ["fail"])
    assert result.exit_code == 1
    assert "unexpected ValueError at test_failure.py:" in result.output
    assert "--debug" in result.output
    assert "王小明" not in result.output
    assert "13812345678" not in result.output


@pytest.mark.parametrize("error", [GatewayConfigError, ApiConfigError])
def test_a_setting_missing_in_the_gateway_or_the_api_is_a_bad_setting(
    error: type[ValueError],
) -> None:
    result = CliRunner().invoke(_failing_app(error("TANFANG_MQTT_URL is not set")), ["fail"])
    assert result.exit_code == 2
    assert result.output.strip() == "tanfang: TANFANG_MQTT_URL is not set"


@pytest.mark.parametrize(
    ("command", "missing", "line"),
    [
        ("demo", "amqtt", "the demo needs the 'demo' extra: pip install 'tanfang[demo]'"),
        ("demo", "pgserver", "the demo needs the 'demo' extra: pip install 'tanfang[demo]'"),
        ("simulate", "paho", "the simulator needs the 'sim' extra: pip install 'tanfang[sim]'"),
    ],
)
def test_demo_and_simulate_without_their_extra_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, command: str, missing: str, line: str
) -> None:
    # As in the production image, where the extras are not installed: the import fails.
    monkeypatch.setitem(sys.modules, missing, None)
    result = CliRunner().invoke(app, [command, "--duration", "1"])
    assert result.exit_code == 1
    assert result.output.strip() == f"tanfang: {line} (or make install)"


def test_usage_errors_and_exits_pass_through_untouched() -> None:
    result = CliRunner().invoke(_failing_app(typer.Exit(3)), ["fail"])
    assert result.exit_code == 3
    assert result.output == ""
    bad = CliRunner().invoke(_failing_app(RuntimeError()), ["fail", "--households", "x"])
    assert bad.exit_code == 2
    assert "households" in bad.output
    inside = typer.BadParameter("YYYY-MM", param_hint="--month")
    refused = CliRunner().invoke(_failing_app(inside), ["fail"])
    assert refused.exit_code == 2
    assert "--month" in refused.output


def test_the_deepest_known_cause_gives_the_hint() -> None:
    class MqttError(RuntimeError):
        pass

    try:
        try:
            raise MqttError("cannot reach the broker at 127.0.0.1:1")
        except MqttError as inner:
            raise RuntimeError("the simulated homes stopped") from inner
    except RuntimeError as outer:
        line = describe(root_cause(outer))
    assert line.startswith("the simulated homes stopped; check TANFANG_MQTT_URL")


def _tanfang(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    return subprocess.run(
        [sys.executable, "-m", "tanfang", *args],
        check=False,
        cwd=cwd,
        env={**env, "TANFANG_LOG_LEVEL": "ERROR", **settings, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_with_a_database_that_is_down_says_one_line(tmp_path: Path) -> None:
    port = free_port()
    done = _tanfang(
        tmp_path,
        "demo",
        TANFANG_DATABASE_URL=f"postgresql://tanfang@127.0.0.1:{port}/tanfang",
        TANFANG_MQTT_URL=f"mqtt://127.0.0.1:{port}",
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tanfang: cannot use the database (OperationalError, SQLSTATE None);"
        " check TANFANG_DATABASE_URL and that the server is up"
    ]


@pytest.mark.parametrize("debug", [False, True])
def test_simulate_without_a_broker_says_one_line_and_the_traceback_only_with_debug(
    tmp_path: Path, debug: bool
) -> None:
    url = f"mqtt://127.0.0.1:{free_port()}"
    args = ["--debug"] if debug else []
    done = _tanfang(tmp_path, *args, "simulate", "--households", "1", "--mqtt-url", url)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tanfang: cannot reach the broker at 127.0.0.1:")
    assert last.endswith("check TANFANG_MQTT_URL and that the broker is up")
    assert ("Traceback" in done.stderr) is debug
    if not debug:
        assert [
            line for line in done.stderr.splitlines() if "ERROR" in line or "tanfang:" in line
        ] == [last]


def test_the_command_line_app_has_a_debug_option() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert "--debug" in result.output
