"""TimescaleDB in Timescale mode without a native package: PGlite-WASM (PostgreSQL 17 with
timescaledb) served on the wire protocol by ``tests/rig/timescale_check/server.mjs``.

One connection at a time, all clients share one backend session, and ``COPY FROM STDIN``
drops the connection: good for schema, policies and queries, not for ingest or speed.
The npm install is kept under ``~/.cache/tanfang/timescale-check/<hash of the lock>``.
"""

from __future__ import annotations

import hashlib
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.rig.ports import free_port

TOOL = Path(__file__).parent / "timescale_check"
_FILES = ("package.json", "package-lock.json", "server.mjs")
# The WASM build loads in about 3 s on an idle core; a shared CI machine is slower.
_START_DEADLINE_S = 90.0


class NodeMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class PGlite:
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres:postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"


def installed_tool() -> Path:
    """The tool with its node_modules, installed once per version of its lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeMissingError("node and npm are needed (apt-get install nodejs npm)")
    digest = hashlib.sha256(b"".join((TOOL / name).read_bytes() for name in _FILES)).hexdigest()
    home = Path.home() / ".cache" / "tanfang" / "timescale-check" / digest[:16]
    if (home / "node_modules" / ".tanfang-installed").exists():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=home.parent))
    for name in _FILES:
        shutil.copy(TOOL / name, work / name)
    subprocess.run(
        [npm, "install", "--ignore-scripts", "--legacy-peer-deps", "--no-audit", "--no-fund"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    (work / "node_modules" / ".tanfang-installed").touch()
    try:
        work.rename(home)
    except OSError:  # a concurrent run installed it first: its copy is as good
        shutil.rmtree(work, ignore_errors=True)
    return home


@contextmanager
def start_pglite() -> Iterator[PGlite]:
    """An in-memory PGlite with timescaledb on a free port, stopped on exit."""
    tool = installed_tool()
    port = free_port()
    process = subprocess.Popen(
        ["node", "server.mjs", "", str(port)],
        cwd=tool,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_listening(process)
        yield PGlite(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_listening(process: subprocess.Popen[bytes]) -> None:
    """Until the server says ``listening``. Not by connecting to the port: the server takes
    one connection, and a probe's would still be counted when the test's arrives."""
    assert process.stdout is not None
    said: list[bytes] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        end = time.monotonic() + _START_DEADLINE_S
        while (left := end - time.monotonic()) > 0:
            if not selector.select(timeout=left):
                break
            line = process.stdout.readline()
            if not line:
                break  # the server stopped
            if line.startswith(b"listening"):
                return
            said.append(line)
    output = b"".join(said).decode(errors="replace")
    raise RuntimeError(f"PGlite did not start (exit {process.poll()}): {output}")
