"""The benchmarks' own broker and database: a private Mosquitto and PostgreSQL (commit
timestamps on), a migrated database with the fleet registered, and a work directory; all
removed when the caller's ``ExitStack`` closes."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import _db
from store.migrate import migrate_url
from tests.rig.mosquitto import start_mosquitto
from tests.rig.postgres import start_postgres


@dataclass(frozen=True, slots=True)
class Services:
    mqtt_url: str
    database_url: str
    workdir: Path
    broker_pid: int
    postmaster_pid: int


def start_services(stack: ExitStack, database: str, devices: int) -> Services:
    broker = start_mosquitto()
    stack.callback(broker.stop)
    pg = start_postgres()
    stack.callback(pg.stop)
    _db.enable_commit_timestamps(pg)
    url = _db.create_database(pg, database)
    asyncio.run(migrate_url(url))
    _db.register_fleet(url, devices)
    workdir = Path(tempfile.mkdtemp(prefix=f"tanfang-{database}-"))
    stack.callback(shutil.rmtree, workdir, True)
    postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])
    return Services(broker.url, url, workdir, broker.process.pid, postmaster)
