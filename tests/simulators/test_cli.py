"""`tanfang simulate` as the composition root mounts it: files, determinism, errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from simulators.cli import simulate
from simulators.register import RegisterError, register_world
from simulators.world import build_world
from tests.simulators.helpers import START

app = typer.Typer()
app.command("simulate")(simulate)
app.command("noop")(lambda: None)  # two commands: `simulate` stays a named sub-command

ARGS = ["simulate", "--households", "3", "--seed", "4", "--start", "2026-07-06T00:00:00+08:00"]


def test_same_seed_writes_byte_identical_events_and_the_contract_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        out, truth, homes = (str(tmp_path / f"{name}.{x}") for x in ("jsonl", "truth", "json"))
        files = ["--out", out, "--truth", truth, "--homes", homes]
        result = runner.invoke(app, [*ARGS, "--duration", "1d", *files])
        assert result.exit_code == 0, result.output
    a, b = (tmp_path / "a.jsonl").read_bytes(), (tmp_path / "b.jsonl").read_bytes()
    assert a == b
    assert a.count(b"\n") > 1000
    assert (tmp_path / "a.truth").read_bytes() == (tmp_path / "b.truth").read_bytes()
    homes = json.loads((tmp_path / "a.json").read_text("utf-8"))
    assert {"elders", "devices", "contacts"} <= set(homes)
    assert len(homes["elders"]) == 3


def test_simulated_span_is_duration_times_speed(tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    result = CliRunner().invoke(
        app, [*ARGS, "--speed", "3600", "--duration", "20s", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    stamps = [json.loads(x)["event"]["ts"] for x in out.read_text().splitlines() if '"event"' in x]
    assert stamps[0] >= "2026-07-06T00:00"
    assert max(stamps) < "2026-07-06T20:00"
    assert max(stamps) > "2026-07-06T19:00"


def test_a_bad_duration_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, [*ARGS, "--duration", "soon", "--out", "/dev/null"])
    assert result.exit_code == 2


def test_plot_draws_a_png_of_one_home(tmp_path: Path) -> None:
    out = tmp_path / "week.png"
    result = CliRunner().invoke(app, [*ARGS, "--plot", str(out), "--plot-home", "1"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_register_is_idempotent_and_skips_contacts_when_the_api_has_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = build_world(3, 4, START)
    known: set[str] = set()
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer tok-123"
        calls.append(request.url.path)
        if request.url.path.endswith("/contacts"):
            return httpx.Response(404)
        ident = json.loads(request.content)["id"]
        if ident in known:
            return httpx.Response(409)
        known.add(ident)
        return httpx.Response(201, json={})

    transport = httpx.MockTransport(handle)
    with caplog.at_level(logging.WARNING):
        register_world(world, "http://api.test", "tok-123", transport=transport)
        register_world(world, "http://api.test/api/v1", "tok-123", transport=transport)
    assert len(known) == 3 + len(world.devices)
    assert sum(p.endswith("/contacts") for p in calls) == 1
    assert all(p.startswith("/api/v1/") for p in calls)
    assert sum("contacts" in r.message for r in caplog.records) == 1


def test_a_refused_registration_names_status_and_fields_but_no_personal_data() -> None:
    world = build_world(1, 4, START)
    name, phone = world.homes[0].elder["name"], "13800138000"
    body = {
        "detail": [
            {"loc": ["body", "phone"], "msg": f"{phone} is not a phone", "input": phone},
            {"loc": ["body", "name"], "msg": f"too long: {name}", "input": name},
        ]
    }

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=body)

    with pytest.raises(RegisterError) as caught:
        register_world(world, "http://api.test", "t", transport=httpx.MockTransport(refuse))
    message = str(caught.value)
    assert "HTTP 422" in message
    assert "phone" in message
    assert "name" in message
    assert phone not in message
    assert str(name) not in message


def test_a_failed_registration_keeps_only_the_status_of_other_errors() -> None:
    world = build_world(1, 4, START)
    echoed = f"internal error while saving {world.homes[0].elder['name']}"

    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=echoed)

    with pytest.raises(RegisterError) as caught:
        register_world(world, "http://api.test", "t", transport=httpx.MockTransport(fail))
    assert str(caught.value) == f"POST elders {world.homes[0].elder_id}: HTTP 500"
