"""``tanfang demo`` as a newcomer runs it: nothing configured, everything embedded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BANNER_TIMEOUT_S = 120.0


def _read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the demo's output until its banner is complete; returns the labelled lines."""
    assert process.stdout is not None
    fields: dict[str, str] = {}
    deadline = time.monotonic() + BANNER_TIMEOUT_S
    for line in process.stdout:
        match = re.match(r"\s+(API|health|admin token|MQTT broker|database)\s+(\S+)", line)
        if match:
            fields[match.group(1)] = match.group(2)
        if "Press Ctrl-C" in line or time.monotonic() > deadline:
            break
    return fields


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    env["TANFANG_LOG_LEVEL"] = "WARNING"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tanfang",
            "demo",
            "--households",
            "6",
            "--speed",
            "120",
            "--duration",
            "90",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    process.wait(timeout=60)
    if process.stdout is not None:
        process.stdout.close()


def test_demo_serves_the_api_and_simulated_homes_send_events(
    demo_process: subprocess.Popen[str],
) -> None:
    banner = _read_banner(demo_process)
    assert {"API", "health", "admin token", "MQTT broker", "database"} <= banner.keys(), banner
    api = banner["API"].removesuffix("/api/v1")
    headers = {"Authorization": f"Bearer {banner['admin token']}"}
    with httpx.Client(base_url=api, headers=headers, timeout=10) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/devices").status_code == 200
        assert (
            client.get("/api/v1/devices", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
        deadline = time.monotonic() + 60
        seen: list[object] = []
        while time.monotonic() < deadline:
            items = client.get("/api/v1/devices", params={"limit": 200}).json()["items"]
            seen = [d["last_seen"] for d in items if d["last_seen"] is not None]
            if len(seen) >= 3:
                break
            time.sleep(0.5)
        assert len(seen) >= 3, "simulated devices never reached the database through the broker"
