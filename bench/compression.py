"""TimescaleDB compression of a day of events, measured on PGlite-WASM with timescaledb
(``tests/rig/pglite.py``: needs node and npm) — the build the Timescale-mode tests use.

    python bench/compression.py [--homes 200]

Writes one day of ``--homes`` homes' events into the migrated schema (server-side
``INSERT … SELECT``: PGlite has no COPY), shaped like the simulators' (per home: motion
sensors firing through the day, a door, a bed mat, an environment sensor every 10 minutes,
a plug, heartbeats; each event with a battery and RSSI), then compresses the chunk with the
schema's own settings (segment by device, order by time) and prints the sizes before and
after as one JSON line. PGlite is PostgreSQL 17 in WASM: the ratio is the engine's, the
speed is not a server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from store.migrate import migrate
from tests.rig.pglite import start_pglite

# (device role, kind, events a day, value expression over the event number n): about 520
# events a home a day, the simulators' mean (docs/scaling.md).
_KINDS = (
    ("pir1", "motion", 150, "1"),
    ("pir2", "motion", 120, "1"),
    ("door", "door", 6, "mod(n, 2)"),
    ("bed", "bed", 6, "mod(n, 2)"),
    ("env", "temperature", 144, "round((24 + 4 * sin(n / 20.0))::numeric, 1)"),
    ("plug", "power", 30, "round((80 + 40 * random())::numeric, 2)"),
    ("hb", "heartbeat", 64, "NULL"),
)
_FILL = """
INSERT INTO events (device_id, ts, seq, kind, value, battery, rssi, elder_id, received_at)
SELECT 'h' || h || '-{role}', ts, n, '{kind}', {value}, 90 - (n / 40)::int,
       -55 - mod(h, 20), 'KP-' || h, ts + interval '80 milliseconds'
FROM generate_series(1, %(homes)s) AS h, generate_series(1, {per_day}) AS n,
     LATERAL (SELECT timestamptz '2026-07-06 00:00+00'
              + (n * 86400.0 / {per_day} + mod(h, 97)) * interval '1 second' AS ts) AS t
"""


async def measure(homes: int) -> dict[str, Any]:
    with start_pglite() as pglite:
        async with await psycopg.AsyncConnection.connect(
            pglite.url, autocommit=True, prepare_threshold=None
        ) as conn:
            await migrate(conn)
            for role, kind, per_day, value in _KINDS:
                query = _FILL.format(role=role, kind=kind, per_day=per_day, value=value)
                await conn.execute(query.encode(), {"homes": homes})
            rows = await _one(conn, "SELECT count(*) FROM events")
            before = await _one(conn, "SELECT total_bytes FROM hypertable_detailed_size('events')")
            await conn.execute("SELECT compress_chunk(c) FROM show_chunks('events') AS c")
            after = await _one(conn, "SELECT total_bytes FROM hypertable_detailed_size('events')")
    return {
        "homes": homes,
        "rows": rows,
        "bytes_per_event_uncompressed": round(before / rows, 1),
        "bytes_per_event_compressed": round(after / rows, 1),
        "ratio": round(before / after, 1),
    }


async def _one(conn: psycopg.AsyncConnection[Any], query: str) -> int:
    cur = await conn.execute(query)
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=int, default=200)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.homes))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
