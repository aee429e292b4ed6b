"""``make demo`` exactly as the README gives it (its default options: 30 homes, seed 7):
nothing configured, everything embedded. The demo once shipped broken because its test ran
6 homes while the README ran 30; this test runs the README's command line itself."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
# The promise to a newcomer: the banner within a minute of `make demo`.
BANNER_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0


def _read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the demo's output until its banner is complete; returns the labelled lines."""
    assert process.stdout is not None
    fields: dict[str, str] = {}
    deadline = time.monotonic() + BANNER_TIMEOUT_S
    for line in process.stdout:
        match = re.match(
            r"\s+(console|sign in|API|health|admin token|MQTT broker|database)\s+(\S+)", line
        )
        if match:
            fields[match.group(1)] = match.group(2)
        if "Press Ctrl-C" in line or time.monotonic() > deadline:
            break
    return fields


@pytest.fixture
def make_demo() -> Iterator[subprocess.Popen[str]]:
    """`make demo` in the checkout, in a process group of its own: stopped with Ctrl-C's
    SIGINT to the whole group, as a terminal does."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
    if process.stdout is not None:
        process.stdout.close()


def test_make_demo_serves_the_api_and_its_thirty_simulated_homes_send_events(
    make_demo: subprocess.Popen[str],
) -> None:
    started = time.monotonic()
    banner = _read_banner(make_demo)
    assert {"API", "health", "admin token", "MQTT broker", "database"} <= banner.keys(), banner
    assert time.monotonic() - started < BANNER_TIMEOUT_S
    assert list(banner)[:2] == ["console", "sign in"], "the console comes first"
    api = banner["API"].removesuffix("/api/v1")
    assert banner["console"] == f"{api}/console/"
    _signs_in_once(api, banner["sign in"], banner["admin token"])
    headers = {"Authorization": f"Bearer {banner['admin token']}"}
    with httpx.Client(base_url=api, headers=headers, timeout=10) as client:
        assert client.get("/healthz").status_code == 200
        assert (
            client.get("/api/v1/devices", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
        elders = client.get("/api/v1/elders", params={"limit": 200}).json()["items"]
        assert len(elders) == 30, "the README's demo registers its 30 homes"
        deadline = time.monotonic() + 60
        seen: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            items = client.get("/api/v1/devices", params={"limit": 200}).json()["items"]
            seen = [d for d in items if d["last_seen"] is not None]
            if len(seen) >= 3:
                break
            time.sleep(0.5)
        assert len(seen) >= 3, "simulated devices never reached the database through the broker"
        events = client.get(f"/api/v1/devices/{seen[0]['id']}/events").json()
        assert events, "a device that was seen has stored events"
    os.killpg(make_demo.pid, signal.SIGINT)
    output, _ = make_demo.communicate(timeout=STOP_TIMEOUT_S)
    assert "Traceback" not in output
    assert "ExceptionGroup" not in output


def _signs_in_once(api: str, link: str, admin_token: str) -> None:
    """The banner's sign-in link: the console page, and a code (not the admin token) that
    the page exchanges once for an admin session."""
    page, _, code = link.partition("#signin=")
    assert page == f"{api}/console/"
    assert code
    assert admin_token not in link
    with httpx.Client(base_url=api, timeout=10) as client:
        assert client.get("/console/").status_code == 200
        signed_in = client.post("/api/v1/sign-in", json={"code": code})
        assert signed_in.status_code == 201, signed_in.text
        assert signed_in.json()["role"] == "admin"
        assert client.post("/api/v1/sign-in", json={"code": code}).status_code == 401
