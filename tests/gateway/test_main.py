"""``python -m gateway`` says clearly what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_gateway_without_urls_names_the_missing_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway"],
        check=False,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TANFANG_MQTT_URL and TANFANG_DATABASE_URL" in done.stderr
