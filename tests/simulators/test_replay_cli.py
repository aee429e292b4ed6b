"""``tanfang simulate --replay`` says what it is doing: the recording's span, the pace and the
expected wall time first, a summary at the end, also when its output is piped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulators.replay import scan
from simulators.replay_display import header, human_duration
from simulators.world import build_world
from tanfang.cli import app
from tests.rig.ports import free_port
from tests.simulators.helpers import START, file_run, lines

DAYS = 0.25  # of two homes from START: six hours of recording
REPLAY_TIMEOUT_S = 120.0


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    text, _ = file_run(build_world(2, 6, START), DAYS)
    path = tmp_path / "events.jsonl"
    path.write_text(text)
    return path


def test_durations_read_in_the_unit_that_fits() -> None:
    assert human_duration(3.24) == "3.2 s"
    assert human_duration(672) == "11 min 12 s"
    assert human_duration(5 * 3600 + 20 * 60) == "5 h 20 min"
    assert human_duration(28 * 86400) == "28.0 days"


def test_the_header_of_a_paced_replay_gives_span_pace_and_expected_wall_time(
    recording: Path,
) -> None:
    found = scan(recording)
    text = header(recording, found, 3600.0)
    assert f"{found.messages} messages" in text
    assert "2026-07-06 00:0" in text
    assert "→ 2026-07-06 05:5" in text
    assert "pace ×3600 (1 s of wall time = 1 h 0 min recorded)" in text
    assert f"expected wall time {human_duration(found.span_s / 3600)}" in text
    assert 5.9 * 3600 < found.span_s <= 6 * 3600


def test_a_28_day_recording_at_speed_1_is_announced_as_taking_28_days(tmp_path: Path) -> None:
    path = tmp_path / "month.jsonl"
    first, last = "2026-07-01T00:00:00+08:00", "2026-07-29T00:00:00+08:00"
    path.write_text(
        f'{{"device_id": "pat-1", "event": {{"ts": "{first}", "kind": "heartbeat"}}}}\n'
        f'{{"device_id": "pat-1", "event": {{"ts": "{last}", "kind": "heartbeat"}}}}\n'
    )
    text = header(path, scan(path), 1.0)
    assert "(28.0 days)" in text
    assert "expected wall time 28.0 days" in text


def test_a_piped_replay_at_speed_0_prints_the_header_and_the_summary(
    recording: Path, mqtt_url: str, topic_root: str
) -> None:
    sent = len(lines(recording.read_text()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tanfang",
            "simulate",
            "--replay",
            str(recording),
            "--speed",
            "0",
            "--mqtt-url",
            mqtt_url,
            "--topic-root",
            topic_root,
            "--protocol",
            "3.1.1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=REPLAY_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert len(out) == 2, done.stdout
    assert out[0].startswith(f"replaying {recording}: {sent} messages, 2026-07-06 00:0")
    assert "pace as fast as the broker takes it (--speed 0)" in out[0]
    assert "expected wall time as long as the broker takes" in out[0]
    assert out[1].startswith(f"published {sent} messages, simulated span 5 h 5")
    assert ", wall time " in out[1]
    assert done.stderr == ""  # no progress bar drawn into a pipe


def test_a_paced_replay_ends_with_its_summary(
    recording: Path, mqtt_url: str, topic_root: str
) -> None:
    sent = len(lines(recording.read_text()))
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--replay",
            str(recording),
            "--speed",
            "86400",
            "--mqtt-url",
            mqtt_url,
            "--topic-root",
            topic_root,
            "--protocol",
            "3.1.1",
        ],
    )
    assert result.exit_code == 0, result.output
    first, last = result.stdout.splitlines()
    assert "pace ×86400 (1 s of wall time = 1.0 days recorded)" in first
    assert "expected wall time 0.2 s" in first
    assert last.startswith(f"published {sent} messages, simulated span 5 h 5")


def test_a_recording_with_a_bad_line_is_refused_before_anything_is_published(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"device_id": "pat-1", "status": "online"}\n{oops\n')
    result = CliRunner().invoke(
        app, ["simulate", "--replay", str(path), "--speed", "0", "--mqtt-url", "mqtt://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert f"{path}:2: not JSON" in result.stderr


def test_an_unreachable_broker_is_one_line_naming_it(recording: Path) -> None:
    url = f"mqtt://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        app, ["simulate", "--replay", str(recording), "--speed", "0", "--mqtt-url", url]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        line for line in result.stderr.splitlines() if "cannot reach the broker" in line
    ]
    assert "--mqtt-url" in result.stderr
    assert result.stdout.startswith("replaying ")
