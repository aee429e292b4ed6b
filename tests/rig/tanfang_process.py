"""A real ``tanfang`` process (``serve``, ``gateway``, ``api``) started with its own
``TANFANG_*`` settings, for end-to-end tests and benchmarks: start it, wait until it is
ready, stop it cleanly or ``kill -9`` it.

The caller's own ``TANFANG_*`` variables are not passed on: a process gets exactly the
settings it is given.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
# A process that is not ready by then is broken, not slow (start-up is 2-4 s here).
READY_DEADLINE_S = 60.0
STOP_TIMEOUT_S = 20.0


class ProcessFailedError(RuntimeError):
    """The process exited, or did not become ready in time (its log's tail is in the text)."""


@dataclass
class TanfangProcess:
    """One ``python -m tanfang <command>`` child; ``log`` holds its output."""

    command: str
    settings: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0  # time.time() just before the spawn

    def start(self) -> TanfangProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
        env.update(self.settings)
        env["PYTHONUNBUFFERED"] = "1"
        with self.log.open("ab") as sink:
            self.started_at = time.time()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tanfang", self.command],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def failed(self, why: str) -> ProcessFailedError:
        return ProcessFailedError(
            f"tanfang {self.command}: {why}; its log ends with:\n{self.log_tail()}"
        )

    def wait_until(
        self, ready: Callable[[], bool], *, deadline_s: float = READY_DEADLINE_S, what: str = ""
    ) -> None:
        """Poll ``ready`` until it holds; ProcessFailedError when the process exits first or
        the deadline passes."""
        end = time.monotonic() + deadline_s
        while not ready():
            if not self.alive():
                raise self.failed(f"exited ({self.returncode()}) before {what or 'ready'}")
            if time.monotonic() > end:
                raise self.failed(f"not {what or 'ready'} within {deadline_s:.0f} s")
            time.sleep(0.05)  # polling interval; the deadline bounds the wait

    def kill9(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or the OOM killer would end it."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM (a clean shutdown), SIGKILL when it does not exit in time."""
        if self.process is None:
            return None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()


def api_ready(base_url: str, *, gateway: bool) -> Callable[[], bool]:
    """A readiness probe: ``/healthz`` answers, and says the broker session is subscribed
    (a process that runs a gateway: its commits go on through a busy pool) or the database
    connected (an API alone)."""

    def probe() -> bool:
        try:
            answer = httpx.get(f"{base_url}/healthz", timeout=1.0)
        except httpx.HTTPError:
            return False
        if answer.status_code != 200:
            return False
        state: dict[str, Any] = answer.json()
        if gateway:
            return bool(state.get("broker", {}).get("subscribed"))
        return bool(state.get("database", {}).get("connected"))

    return probe


def settings_for(
    *,
    database_url: str,
    mqtt_url: str,
    topic_root: str,
    admin_token: str,
    api_port: int,
    client_id: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The ``TANFANG_*`` settings of one process of the rig."""
    settings = {
        "TANFANG_DATABASE_URL": database_url,
        "TANFANG_MQTT_URL": mqtt_url,
        "TANFANG_TOPIC_ROOT": topic_root,
        "TANFANG_ADMIN_TOKEN": admin_token,
        "TANFANG_API_HOST": "127.0.0.1",
        "TANFANG_API_PORT": str(api_port),
        "TANFANG_MQTT_CLIENT_ID": client_id,
    }
    settings.update(extra or {})
    return settings
