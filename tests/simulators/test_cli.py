"""`tanfang simulate` as the composition root mounts it: files, determinism, errors."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from simulators.cli import simulate

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
    assert {"elders", "devices", "contacts", "absences"} <= set(homes)
    assert len(homes["elders"]) == 3
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


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


def test_a_bad_scenario_is_a_usage_error_saying_what_is_wrong(tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    for items, said in (
        ([{"type": "fall", "home": 0, "at": "+1h30m"}], "not a duration: '1h30m'"),
        ([{"type": "meteor", "home": 0}], "type must be one of"),
    ):
        scenario.write_text(json.dumps(items))
        result = CliRunner().invoke(
            app, [*ARGS, "--scenario", str(scenario), "--duration", "1h", "--out", "/dev/null"]
        )
        assert result.exit_code == 2, result.output
        assert said in result.output


def test_plot_draws_a_png_of_one_home(tmp_path: Path) -> None:
    out = tmp_path / "week.png"
    result = CliRunner().invoke(app, [*ARGS, "--plot", str(out), "--plot-home", "1"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
