"""Running the real gateway (``python -m gateway``) as a child process, and its memory."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Gateway:
    process: subprocess.Popen[bytes]
    log: Path
    started: float  # epoch seconds, just before the process was spawned

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM (a clean shutdown keeps the session), SIGKILL if it does not exit."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_gateway(command: Sequence[str], settings: Mapping[str, str], log: Path) -> Gateway:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANFANG_")}
    env.update(settings)
    sink = log.open("ab")
    started = time.time()
    process = subprocess.Popen(
        list(command),
        cwd=_ROOT,
        env=env,
        stdout=sink,
        stderr=subprocess.STDOUT,
    )
    sink.close()
    return Gateway(process, log, started)


def attach_profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` with py-spy (collapsed stacks, idle frames left out) until stopped."""
    binary = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if binary is None:
        raise FileNotFoundError("py-spy is not installed (uv add --group dev py-spy)")
    cmd = [binary, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
    cmd += ["--output", str(out), "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes]) -> None:
    """SIGINT makes py-spy write what it sampled."""
    profiler.send_signal(signal.SIGINT)
    try:
        profiler.wait(timeout=30)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait()


def cpu_seconds(pid: int, *, tree: bool = False) -> float:
    """User + system CPU time used so far by the process (and, with ``tree``, by its live
    descendants and the children it has reaped); 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces; the fields after it are plain numbers.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if tree:
        ticks += int(fields[13]) + int(fields[14])
    seconds = ticks / os.sysconf("SC_CLK_TCK")
    if tree:
        seconds += sum(cpu_seconds(child, tree=True) for child in _children(pid))
    return seconds


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib(pid: int) -> float:
    """Peak resident set (VmHWM) of the process and its children, in MiB."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        total += _status_kib(current, "VmHWM")
        stack += _children(current)
    return total / 1024
