#!/usr/bin/env python3
"""Why inactivity incidents are missed: runs ``tanfang evaluate``'s very loop over the
files, watches the household state of every scored ``inactivity`` incident while it lasts,
and prints one row per incident (missed ones, or ``--all``) with its cause.

    .venv/bin/python scripts/inactivity_misses.py --homes homes.json --events events.jsonl \
        --truth truth.jsonl [--all] [--json out.json]

Columns: the kit, what the truth says (its note/subtype), local start, how long the
incident lasted, the room where the elder was last seen when it began, the quiet limit of that
moment (``cold``: the cold-start default), the longest silence reached before the truth
says it ended, the share of the incident the state inferred "away" or a sensor offline,
whether an inactivity alert was already open when it began, and the cause:

* ``a-short``     ended before any sensible limit (silence at its end < ``SENSIBLE_S``)
* ``a-shared``    the elder lives with others and has no threshold of their own
* ``a-unseen``    a bathroom dwell in a home with no sensor in the bathroom
* ``b-away``      the state inferred "away" for most of it (a door used before)
* ``c-limit``     the silence passed ``SENSIBLE_S`` but not the learned limit
* ``d-open``      an alert opened before it (its match window) and was still open
* ``e-cold``      judged with the cold-start defaults
* ``f-out``       the elder was out and did not come back (truth ``not_returning``)
* ``g-offline``   a sensor of the home was offline for most of it
* ``hit``         detected (``--all``), with its delay
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.detectors import codes
from gateway.detectors.baseline import place_of, start_bin
from gateway.detectors.hearing import sensed
from gateway.detectors.localtime import day_type, utc_offset_s
from gateway.device_health import MISSED_HEARTBEATS
from tanfang.eval_input import load_homes_file, read_events, read_truth
from tanfang.eval_score import EARLY_S, OPEN_END_S
from tanfang.evaluate import LEARN_DAYS, SWEEP_S, _Run, _run_chunk

# Below this silence no rule can tell a fall from a doze (the simulator's still periods
# while awake: median 40 min, p90 2 h) without a false alarm a day per home.
SENSIBLE_S: Final = 60 * 60.0
HOUR: Final = 3600.0


@dataclass(slots=True)
class Trace:
    """What the state said during one incident."""

    rec: dict[str, Any]
    slot: int
    end: float
    ticks: int = 0
    away: int = 0
    offline: int = 0
    longest: float = 0.0  # the longest silence reached (now − last life)
    closest: float = math.inf  # the smallest (limit − silence)
    start: dict[str, Any] = field(default_factory=dict)


class _Traced(_Run):
    """``tanfang evaluate``'s run, with a look at the incidents after every sweep."""

    traces: list[Trace]
    starts: np.ndarray[Any, np.dtype[np.float64]]
    ends: np.ndarray[Any, np.dtype[np.float64]]

    def tick(self) -> None:
        was_open = self.book.active[:, codes.INACTIVITY].copy()
        _Run.tick(self)
        now = self.now
        live = np.flatnonzero((self.starts - EARLY_S <= now) & (now < self.ends))
        if not len(live):
            return
        homes, state, base = self.file.homes, self.state, self.baseline
        online = sensed(homes, state, now, MISSED_HEARTBEATS)
        away = state.away()
        kind = day_type(now, self.offset_s)
        # The limit of the running quiet: by the place and the hour it began in.
        place = place_of(state)
        began = start_bin(np.fmax(state.life, state.resumed), self.offset_s)
        for i in live.tolist():
            tr = self.traces[i]
            s = tr.slot
            q = now - np.fmax(state.life[s], state.resumed[s])
            cell = (s, place[s], began[s])
            limit = float(base.limit_s[cell])
            if not tr.start:
                tr.start = {
                    "room": codes.ROOMS[int(state.quiet_room()[s])],
                    "away": bool(away[s]),
                    "sensed": bool(online[s]),
                    "limit_s": limit,
                    "cold": bool(base.usual_code[cell] == 0),
                    "bath_limit_s": float(base.bath_limit_s[s]),
                    "wake_limit_s": float(base.wake_limit_s[s, kind]),
                    "alert_open": bool(was_open[s]),
                }
            tr.ticks += 1
            tr.away += int(away[s])
            tr.offline += int(not online[s])
            if not np.isnan(q) and not away[s]:
                tr.longest = max(tr.longest, float(q))
                tr.closest = min(tr.closest, limit - float(q))


def _cause(tr: Trace, alone: bool, bath_motion: bool, override: bool) -> str:
    note = tr.rec.get("note", "")
    if "did not come home" in note:
        return "f-out"
    if not (alone or override):
        return "a-shared"
    if tr.ticks and tr.offline > tr.ticks / 2:
        return "g-offline"
    if tr.ticks and tr.away > tr.ticks / 2:
        return "b-away"
    if tr.start.get("alert_open"):
        return "d-open"
    if tr.rec.get("subtype") == "bathroom_dwell" and not bath_motion and tr.longest < SENSIBLE_S:
        return "a-unseen"
    if tr.longest < SENSIBLE_S:
        return "a-short"
    if tr.start.get("cold"):
        return "e-cold"
    return "c-limit"


def _hm(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "—" if math.isnan(seconds) else "inf"
    m = round(seconds / 60)
    return f"{m // 60}h{m % 60:02d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=Path, required=True)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--all", action="store_true", help="detected incidents too")
    parser.add_argument("--json", type=Path, help="write every incident's row here")
    parser.add_argument("--learn-days", type=int, default=LEARN_DAYS)
    args = parser.parse_args(argv)

    file = load_homes_file(args.homes)
    offset = utc_offset_s("Asia/Shanghai")
    run = _Traced.fresh(file, offset, SWEEP_S, args.learn_days)
    slot_of = {e: i for i, e in enumerate(file.homes.elder_ids)}
    truth = read_truth(args.truth)
    incidents = [r for r in truth if r["type"] == "inactivity" and r["elder_id"] in slot_of]
    run.traces = [
        Trace(
            r,
            slot_of[r["elder_id"]],
            r["end_s"] if not math.isnan(r["end_s"]) else r["start_s"] + OPEN_END_S,
        )
        for r in incidents
    ]
    run.starts = np.array([r["start_s"] for r in incidents])
    run.ends = np.array([t.end for t in run.traces])
    for chunk in read_events(args.events, file.homes):
        _run_chunk(run, chunk)

    alerts = [a for a in run.book.opened if a.type == "inactivity"]
    zone = timezone(timedelta(seconds=offset))
    rows: list[dict[str, Any]] = []
    for tr in run.traces:
        rec = tr.rec
        if rec["start_s"] < run.since:
            continue
        s = tr.slot
        hits = [
            a.opened_at - rec["start_s"]
            for a in alerts
            if a.elder_id == rec["elder_id"] and rec["start_s"] - EARLY_S <= a.opened_at < tr.end
        ]
        cause = (
            "hit"
            if hits
            else _cause(
                tr,
                bool(file.profiles.alone[s]),
                bool(file.homes.bathroom_motion[s]),
                not math.isnan(file.profiles.override_s[s]),
            )
        )
        start = datetime.fromtimestamp(rec["start_s"], zone)
        rows.append(
            {
                "elder_id": rec["elder_id"],
                "kit": file.kits.get(rec["elder_id"], "?"),
                "what": rec.get("subtype") or rec.get("note", ""),
                "start": start.strftime("%m-%d %H:%M"),
                "lasted_s": tr.end - rec["start_s"],
                "room": tr.start.get("room"),
                "limit_s": tr.start.get("limit_s", math.nan),
                "cold": tr.start.get("cold"),
                "longest_s": tr.longest,
                "away": tr.away / tr.ticks if tr.ticks else math.nan,
                "offline": tr.offline / tr.ticks if tr.ticks else math.nan,
                "alert_open": tr.start.get("alert_open"),
                "cause": cause,
                "delay_s": min(hits) if hits else math.nan,
            }
        )
    shown = [r for r in rows if args.all or r["cause"] != "hit"]
    print(
        f"{'elder':<11} {'kit':<9} {'what':<40} {'start':<11} {'lasted':>6} {'room':<11} "
        f"{'limit':>6} {'silent':>6} {'away':>5} {'off':>4} {'open':<4} {'cause':<9} delay"
    )
    for r in sorted(shown, key=lambda r: (r["cause"], r["kit"], r["start"])):
        print(
            f"{r['elder_id']:<11} {r['kit']:<9} {r['what'][:40]:<40} {r['start']:<11} "
            f"{_hm(r['lasted_s']):>6} {r['room'] or '—':<11} "
            f"{_hm(r['limit_s']) + ('c' if r['cold'] else ''):>6} {_hm(r['longest_s']):>6} "
            f"{r['away']:>5.0%} {r['offline']:>4.0%} {'yes' if r['alert_open'] else '':<4} "
            f"{r['cause']:<9} {_hm(r['delay_s'])}"
        )
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["cause"]] = counts.get(r["cause"], 0) + 1
    by_kit: dict[str, dict[str, int]] = {}
    for r in rows:
        kit = by_kit.setdefault(r["kit"], {})
        kit[r["cause"]] = kit.get(r["cause"], 0) + 1
    print(
        json.dumps(
            {"incidents": len(rows), "causes": dict(sorted(counts.items())), "by_kit": by_kit}
        )
    )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
