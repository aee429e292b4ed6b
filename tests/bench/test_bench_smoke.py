"""The ingest benchmark runs end to end at small size; figures are printed, never asserted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _last_json_line(stdout: str) -> dict[str, object]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON line in the output:\n{stdout}"
    found: dict[str, object] = json.loads(lines[-1])
    return found


@pytest.mark.timeout(240)
@pytest.mark.skipif(
    shutil.which("mosquitto_sub") is None,
    reason="the benchmark's baseline needs mosquitto_sub (apt-get install mosquitto-clients)",
)
def test_quick_bench_reports_every_event_stored_once() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    done = subprocess.run(
        [sys.executable, "bench/ingest.py", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, f"bench failed:\n{done.stdout}\n{done.stderr}"
    figures = _last_json_line(done.stdout)
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["events"] == 3_000
    for key in ("bare_eps", "gateway_eps", "ratio", "lag_p50_ms", "lag_p99_ms", "rss_mib"):
        assert isinstance(figures[key], int | float), f"{key} missing: {figures}"
