#!/usr/bin/env python3
"""How hard simulated (or recorded) homes are: the seven measures of issue 13 per home and
as medians, for all homes and for homes with and without motion sensors.

    .venv/bin/python scripts/sim_measures.py --homes homes.json --events events.jsonl \
        [--truth truth.jsonl] [--per-home]

Prints a table, then one JSON line. Definitions: simulators/measures.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulators.measures import LABELS, REAL_HOME, HomeMeasures, measure_files, medians


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _kits(path: Path) -> dict[str, str]:
    """elder id → kit, from the simulator's ``simulation`` block (absent for real homes)."""
    households = orjson.loads(path.read_bytes()).get("simulation", {}).get("households", [])
    return {h["elder_id"]: h["kit"] for h in households if "kit" in h}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=Path, required=True)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--per-home", action="store_true", help="a row per home too")
    args = parser.parse_args(argv)
    homes = measure_files(args.homes, args.events, args.truth)
    groups: dict[str, list[HomeMeasures]] = {
        "all": homes,
        "motion": [h for h in homes if h.motion],
        "contacts_only": [h for h in homes if not h.motion],
    }
    kits = _kits(args.homes)
    for kit in sorted(set(kits.values())) if kits else []:
        groups[f"kit {kit}"] = [h for h in homes if kits.get(h.elder_id) == kit]
    summary = {name: medians(group) for name, group in groups.items()}
    sizes = {name: len(group) for name, group in groups.items()}
    head = " | ".join(f"{name} ({sizes[name]})" for name in groups)
    print(f"| measure | real home | {head} |")
    print("|---|---|" + "---|" * len(groups))
    for key, label in LABELS.items():
        cells = " | ".join(_cell(summary[name][key]) for name in groups)
        print(f"| {label} | {REAL_HOME[key]:.2f} | {cells} |")
    if args.per_home:
        for home in homes:
            row = " ".join(f"{k}={_cell(getattr(home, k))}" for k in LABELS)
            print(f"{home.elder_id} motion={home.motion} {row}")
    line = {"homes": sizes, "median": summary, "real_home": REAL_HOME}
    if args.per_home:
        line["per_home"] = [h.as_json() for h in homes]
    print(orjson.dumps(line).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
