"""Benchmark of the monthly statistics table and of one elder's compliance.

Starts its own PostgreSQL (or uses TANFANG_BENCH_DATABASE_URL, a server whose role may
create databases), migrates a fresh database, generates 100 000 elders in 17 towns with
1 000 000 visits in the month (plus in-home visits of the 11 months before), then times:

- the monthly report for all towns (``care.report.monthly_report``), warm, best and median
  of ``--runs``; target < 2 s;
- one elder's compliance read (``care.compliance_repo.elder_month``, one query) for random
  elders, p50 and p99; target < 10 ms.

Prints a table and, last, one JSON line. ``--quick`` runs a small size for the smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from care import compliance_repo, report
from care.month import Month
from store.migrate import migrate_url
from store.pool import open_pool

TZ = ZoneInfo("Asia/Shanghai")
MONTH = Month(2026, 5)
TOWNS = [
    "長沙街道",
    "三埠街道",
    "月山鎮",
    "水口鎮",
    "沙塘鎮",
    "蒼城鎮",
    "龍勝鎮",
    "大沙鎮",
    "馬岡鎮",
    "塘口鎮",
    "赤坎鎮",
    "百合鎮",
    "蚬岗鎮",
    "金雞鎮",
    "赤水鎮",
    "翠山湖",
    "長沙東",
]

# Server-side generation: fast, and nothing of it has to cross the wire.
_ELDERS = sql.SQL(
    "INSERT INTO elders (id, name, town, birth_date, living_arrangement, incapacitated,"
    " disability_level, low_income, cares_for_dependent_child, contact_person, visit_consent,"
    " created_at, filed_on)"
    " SELECT 'KP-' || lpad(i::text, 6, '0'), '老人' || i,"
    " (%(towns)s::text[])[1 + i %% %(n_towns)s],"
    " date '1930-01-01' + (i * 7919 %% 12000),"
    " (ARRAY['alone', 'empty_nest', 'left_behind', 'with_family'])[1 + i %% 4],"
    " i %% 13 = 0, CASE WHEN i %% 17 = 0 THEN 'severe' ELSE 'none' END, i %% 11 = 0,"
    " i %% 29 = 0, CASE WHEN i %% 5 = 0 THEN NULL ELSE '聯系人' END, i %% 97 <> 0,"
    " timestamptz '2024-01-01', date '2024-01-01'"
    " FROM generate_series(1, %(elders)s) AS i"
)
_MONTH_VISITS = sql.SQL(
    "INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor, refused, source)"
    " SELECT 'KP-' || lpad((1 + (j * 48271) %% %(elders)s)::text, 6, '0'),"
    " (ARRAY['in_home', 'phone', 'video', 'online'])[1 + j %% 4],"
    " %(start)s + make_interval(secs => (j * 2654435761) %% %(span)s),"
    "%(first)s::date, 'v', j %% 50 = 0, 'manual'"
    " FROM generate_series(1::bigint, %(visits)s) AS j"
)
_EARLIER_IN_HOME = sql.SQL(
    "INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor, source)"
    " SELECT 'KP-' || lpad((1 + (j * 16807) %% %(elders)s)::text, 6, '0'), 'in_home',"
    " %(start12)s + make_interval(secs => (j * 2654435761) %% %(span12)s),"
    "%(first)s::date, 'v', 'manual'"
    " FROM generate_series(1::bigint, %(earlier)s) AS j"
)


def _server() -> tuple[str, object | None]:
    url = os.environ.get("TANFANG_BENCH_DATABASE_URL")
    if url:
        return url, None
    from tests.rig.postgres import start_postgres

    pg = start_postgres()
    return pg.admin_url, pg


def _fresh_database(admin_url: str) -> str:
    name = "bench_report_" + uuid.uuid4().hex[:8]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def _load(url: str, elders: int, visits: int) -> float:
    start, end = MONTH.bounds(TZ)
    start12 = MONTH.shift(-11).bounds(TZ)[0]
    params = {
        "towns": TOWNS,
        "n_towns": len(TOWNS),
        "elders": elders,
        "visits": visits,
        "earlier": elders * 2,
        "start": start,
        "span": int((end - start).total_seconds()),
        "start12": start12,
        "span12": int((start - start12).total_seconds()),
        "first": MONTH.first_day.isoformat(),
    }
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        # The history trigger writes one row per elder; a bulk load of test data skips it.
        conn.execute("ALTER TABLE elders DISABLE TRIGGER elders_history")
        conn.execute(_ELDERS, params)
        conn.execute("ALTER TABLE elders ENABLE TRIGGER elders_history")
        conn.execute(_MONTH_VISITS, params)
        conn.execute(_EARLIER_IN_HOME, params)
        conn.execute("VACUUM ANALYZE elders")
        conn.execute("VACUUM ANALYZE visits")
    return time.perf_counter() - began


async def _measure(url: str, elders: int, runs: int, samples: int) -> dict[str, object]:
    today = date(2026, 6, 15)
    async with open_pool(url, max_size=2) as pool:
        report_s: list[float] = []
        table = None
        for _ in range(runs):
            async with pool.connection() as conn:
                began = time.perf_counter()
                table = await report.monthly_report(conn, MONTH, None, today, TZ)
                report_s.append(time.perf_counter() - began)
        assert table is not None
        rng = random.Random(7)
        one_ms: list[float] = []
        async with pool.connection() as conn:
            for _ in range(samples):
                elder = f"KP-{rng.randint(1, elders):06d}"
                began = time.perf_counter()
                found = await compliance_repo.elder_month(conn, elder, MONTH, TZ)
                one_ms.append((time.perf_counter() - began) * 1000)
                assert found is not None
    one_ms.sort()
    return {
        "report_best_s": round(min(report_s), 3),
        "report_median_s": round(statistics.median(report_s), 3),
        "compliance_p50_ms": round(one_ms[len(one_ms) // 2], 2),
        "compliance_p99_ms": round(one_ms[min(len(one_ms) - 1, int(len(one_ms) * 0.99))], 2),
        "on_file": table.total["on_file"],
        "visited": table.total["visited"],
        "monthly_visit_rate": table.total["monthly_visit_rate"],
        "visits_total": table.total["visits_total"],
        "plan_minimum_met": table.total["plan_minimum_met"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elders", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="10 000 elders, 100 000 visits")
    args = parser.parse_args()
    if args.quick:
        args.elders, args.visits, args.runs, args.samples = 10_000, 100_000, 2, 100
    admin_url, pg = _server()
    try:
        url = _fresh_database(admin_url)
        asyncio.run(migrate_url(url))
        load_s = _load(url, args.elders, args.visits)
        figures = asyncio.run(_measure(url, args.elders, args.runs, args.samples))
    finally:
        if pg is not None:
            pg.stop()  # type: ignore[attr-defined]
    figures = {"elders": args.elders, "visits": args.visits, "load_s": round(load_s, 1), **figures}
    print(f"monthly report, {args.elders} elders, {args.visits} visits in {MONTH}")
    print(
        f"  report (all towns)   best {figures['report_best_s']} s, median "
        f"{figures['report_median_s']} s   (target < 2 s)"
    )
    print(
        f"  one elder compliance p50 {figures['compliance_p50_ms']} ms, p99 "
        f"{figures['compliance_p99_ms']} ms   (target < 10 ms)"
    )
    print(
        f"  on file {figures['on_file']}, visited {figures['visited']}, "
        f"rate {figures['monthly_visit_rate']}"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
