"""The benchmark's SQL: registering the fleet, counting and timing what was stored.

Commit times come from PostgreSQL itself (``track_commit_timestamp``): the commit timestamp
of the transaction that wrote each row, so the gateway needs no instrumentation.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from bench._workload import (
    DEVICE_PREFIX,
    DEVICES_PER_ELDER,
    PROBE_DEVICE,
    device_id,
    device_type,
    elder_id,
)
from tests.rig.postgres import Postgres

_BENCH_ROWS = DEVICE_PREFIX + "%"

Conn = psycopg.Connection[TupleRow]


def enable_commit_timestamps(pg: Postgres) -> None:
    """Turn on ``track_commit_timestamp`` (needs a restart; the options are kept)."""
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET track_commit_timestamp = on")
    cmd = [
        str(pg.bindir / "pg_ctl"),
        "-D",
        str(pg.datadir),
        "-l",
        str(pg.datadir.parent / "log"),
        "-m",
        "fast",
        "-w",
        "restart",
    ]
    if pg.user is not None:
        cmd = ["runuser", "-u", pg.user, "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True)


def create_database(pg: Postgres, name: str) -> str:
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    return pg.url(name)


def register_fleet(url: str, devices: int) -> None:
    """Elders (four devices each) and devices, plus the probe device, written with COPY."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY elders (id, name, town) FROM STDIN") as copy:
            for index in range(0, devices, DEVICES_PER_ELDER):
                copy.write_row((elder_id(index), "bench", "bench"))
        with cur.copy("COPY devices (id, type, elder_id, room) FROM STDIN") as copy:
            for index in range(devices):
                copy.write_row((device_id(index), device_type(index), elder_id(index), "hall"))
            copy.write_row((PROBE_DEVICE, "motion_sensor", None, None))


def register_detect_homes(url: str, homes: int) -> None:
    """Homes for the detection leader to sweep beside the publishing fleet: an elder living
    alone with a living-room motion sensor and an entrance door contact each, online (heard
    a minute ago, heartbeats every hour) — every home is judged at every sweep."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY elders (id, name, town) FROM STDIN") as copy:
            for index in range(homes):
                copy.write_row((f"DH-{index:06d}", "bench", "bench"))
        with cur.copy(
            "COPY devices (id, type, elder_id, room, heartbeat_interval_s) FROM STDIN"
        ) as copy:
            for index in range(homes):
                elder = f"DH-{index:06d}"
                copy.write_row((f"dh-pir-{index:06d}", "motion_sensor", elder, "living_room", 3600))
                copy.write_row((f"dh-door-{index:06d}", "door_sensor", elder, "entrance", 3600))
        cur.execute(
            "UPDATE devices SET last_seen = now() - interval '1 minute', online = true"
            " WHERE id LIKE 'dh-%%'"
        )


def count_probe_rows(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM events WHERE device_id = %s", (PROBE_DEVICE,)
    ).fetchone()
    return int(row[0]) if row else 0


def count_bench_rows(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM events WHERE device_id LIKE %s", (_BENCH_ROWS,)
    ).fetchone()
    return int(row[0]) if row else 0


def wait_for_rows(
    conn: Conn,
    expected: int,
    deadline_s: float,
    *,
    poll_s: float = 0.25,
    stall_s: float = 20.0,
) -> tuple[int, float]:
    """Poll until ``expected`` bench rows are visible, the deadline passes, or the count has
    not moved for ``stall_s`` (a stuck gateway should not cost the whole deadline).

    Returns the count seen last and the wall-clock time (epoch seconds) it was seen.
    """
    now = time.monotonic()
    end = now + deadline_s
    last, moved = -1, now
    while True:
        seen = count_bench_rows(conn)
        now = time.monotonic()
        if seen != last:
            last, moved = seen, now
        if seen >= expected or now > end or now - moved > stall_s:
            return seen, time.time()
        time.sleep(poll_s)  # polling interval; the deadline bounds the wait


@dataclass(frozen=True, slots=True)
class Window:
    """First receive and last commit of the rows of one phase (epoch seconds)."""

    rows: int
    first_received: float
    last_commit: float

    @property
    def seconds(self) -> float:
        return self.last_commit - self.first_received


def drain_window(conn: Conn, max_seq: int) -> Window:
    """The rows written by the burst phase (seq ≤ ``max_seq``)."""
    row = conn.execute(
        "SELECT count(*), extract(epoch FROM min(received_at)),"
        " extract(epoch FROM max(pg_xact_commit_timestamp(xmin)))"
        " FROM events WHERE device_id LIKE %s AND seq <= %s",
        (_BENCH_ROWS, max_seq),
    ).fetchone()
    if row is None or not row[0]:
        return Window(0, 0.0, 0.0)
    return Window(int(row[0]), float(row[1]), float(row[2]))


@dataclass(frozen=True, slots=True)
class Lag:
    rows: int
    commit_ms: list[float]
    receive_ms: list[float]


def lag_samples(conn: Conn) -> Lag:
    """Per row of the lag phase: commit time − publish time, and receive time − publish time."""
    rows = conn.execute(
        "SELECT 1000 * (extract(epoch FROM pg_xact_commit_timestamp(xmin))"
        "  - (extra->>'pub')::float8),"
        " 1000 * (extract(epoch FROM received_at) - (extra->>'pub')::float8)"
        " FROM events WHERE device_id LIKE %s AND extra ? 'pub'",
        (_BENCH_ROWS,),
    ).fetchall()
    commit = sorted(float(r[0]) for r in rows)
    receive = sorted(float(r[1]) for r in rows)
    return Lag(len(rows), commit, receive)


@dataclass(frozen=True, slots=True)
class Tally:
    rows: int
    distinct: int
    dead_letters: int
    flagged: int


def tally(conn: Conn) -> Tally:
    """Rows, distinct (device_id, seq), dead letters and clock-skew flags of the bench fleet."""
    row = conn.execute(
        "SELECT count(*), count(DISTINCT (device_id, seq)),"
        " count(*) FILTER (WHERE flags <> '{}')"
        " FROM events WHERE device_id LIKE %s",
        (_BENCH_ROWS,),
    ).fetchone()
    dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
    assert row is not None
    assert dead is not None
    return Tally(int(row[0]), int(row[1]), int(dead[0]), int(row[2]))
