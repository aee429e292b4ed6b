"""Run a benchmark script at its quick size, as `make bench` would, and read its JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str) -> dict[str, Any]:
    """``bench/<script> --quick`` without the caller's TANFANG_ settings; its last JSON line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    done = subprocess.run(
        [sys.executable, f"bench/{script}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, f"bench failed:\n{done.stdout}\n{done.stderr}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON line in the output:\n{done.stdout}"
    found: dict[str, Any] = json.loads(lines[-1])
    return found
