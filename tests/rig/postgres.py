"""A real PostgreSQL server on a free port, started from the system's binaries or pgserver's.

`pg_ctl` refuses to run as root (and CI runs as root), so as root the cluster is run by the
``postgres`` user, created when missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.rig.ports import free_port, wait_for_port


@dataclass
class Postgres:
    port: int
    datadir: Path
    bindir: Path
    user: str | None
    options: str = ""  # the server's -o options, kept for a restart

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        self._halt()
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def restart(self) -> None:
        """Stop at once, as a crash would (every session and its locks gone), and start
        again on the same port with the same data."""
        self._halt()
        _start(self)

    def _halt(self) -> None:
        _run(
            self.user,
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
            check=False,
        )


def find_bindir() -> Path:
    """The system's PostgreSQL (pg_config --bindir, /usr/lib/postgresql/N) or pgserver's."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    import pgserver  # brings PostgreSQL 16 with it; imported late, it is slow to import

    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if (bindir / "initdb").exists():
        return bindir
    raise RuntimeError("no PostgreSQL binaries found (initdb, pg_ctl)")


def _run(user: str | None, cmd: list[str], *, check: bool = True) -> None:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    subprocess.run(cmd, check=check, capture_output=True)


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return "postgres"


def start_postgres(*, durable_commits: bool = False) -> Postgres:
    """A fresh cluster on a free port. Fast and unsafe by default (``fsync`` and
    ``synchronous_commit`` off); ``durable_commits`` keeps ``synchronous_commit`` on, so a
    commit survives a crash of the server process (``Postgres.restart``): without it the
    last fraction of a second of acknowledged commits is lost, as it would be in
    production with that setting."""
    bindir = find_bindir()
    user = _service_user()
    root = Path(tempfile.mkdtemp(prefix="tanfang-pg-"))
    datadir = root / "data"
    if user is not None:
        shutil.chown(root, user)
        root.chmod(0o755)
    _run(
        user,
        [
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
    )
    port = free_port()
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        f" -c synchronous_commit={'on' if durable_commits else 'off'}"
        " -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB"
    )
    server = Postgres(port=port, datadir=datadir, bindir=bindir, user=user, options=options)
    _start(server)
    return server


def _start(server: Postgres) -> None:
    _run(
        server.user,
        [
            str(server.bindir / "pg_ctl"),
            "-D",
            str(server.datadir),
            "-o",
            server.options,
            "-l",
            str(server.datadir.parent / "log"),
            "-w",
            "start",
        ],
    )
    wait_for_port("127.0.0.1", server.port)
