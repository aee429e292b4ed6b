"""``python -m gateway`` (= ``tanfang gateway``) says clearly what is missing or
unreachable, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.rig.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_gateway(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway"],
        check=False,
        cwd=cwd,
        env={**env, **settings, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_python_m_gateway_without_urls_names_the_missing_settings(tmp_path: Path) -> None:
    done = run_gateway(tmp_path)
    assert done.returncode == 2
    assert "missing required settings: TANFANG_MQTT_URL, TANFANG_DATABASE_URL" in done.stderr


def test_python_m_gateway_without_a_database_says_so_in_one_line(tmp_path: Path) -> None:
    port = free_port()
    done = run_gateway(
        tmp_path,
        TANFANG_MQTT_URL=f"mqtt://127.0.0.1:{port}",
        TANFANG_DATABASE_URL=f"postgresql://tanfang@127.0.0.1:{port}/tanfang",
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tanfang: cannot use the database (OperationalError, SQLSTATE None);"
        " check TANFANG_DATABASE_URL and that the server is up"
    ]
