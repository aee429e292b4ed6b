"""The report benchmark runs end to end at small size; figures are printed, not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_quick_report_bench_prints_its_figures_as_a_json_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    done = subprocess.run(
        [sys.executable, "bench/report.py", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, f"bench failed:\n{done.stdout}\n{done.stderr}"
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["elders"] == 10_000
    assert figures["visits_total"] > 0
    assert 0 < figures["monthly_visit_rate"] <= 1
