"""Scoring alerts against truth.jsonl (contract §5).

An alert **detects** an incident of the same elder and type when it opens at or after
``start`` − 5 min and before ``end`` (``start`` + 12 h without one); for ``device_offline``
and ``battery_low`` the device must match too when the incident names devices. Its delay
is opening − ``start``. Every alert that detects nothing is a false alarm.
``alerts_while_away``: ``inactivity``, ``night_wandering`` and ``activity_drop`` alerts
opened inside an ``away`` window of the same elder.

Only the scored span counts: incidents starting and alerts opening from ``since`` on (the
days before it are the history the baselines learn from). An alert that detects an
incident which began before ``since`` is neither a detection nor a false alarm."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

EARLY_S: Final = 300.0
OPEN_END_S: Final = 12 * 3600.0
AWAY_TYPES: Final = frozenset({"inactivity", "night_wandering", "activity_drop"})
DEVICE_TYPES: Final = frozenset({"device_offline", "battery_low"})


@dataclass(frozen=True, slots=True)
class Alert:
    elder_id: str
    type: str
    opened_at: float
    device_id: str | None = None
    summary: str = ""  # what was seen against what is usual, English
    summary_zh: str = ""


def _detects(alert: Alert, incident: dict[str, Any]) -> bool:
    if alert.elder_id != incident["elder_id"] or alert.type != incident["type"]:
        return False
    start = incident["start_s"]
    end = incident["end_s"] if not math.isnan(incident["end_s"]) else start + OPEN_END_S
    if not start - EARLY_S <= alert.opened_at < end:
        return False
    devices = incident.get("device_ids")
    return not (alert.type in DEVICE_TYPES and devices and alert.device_id not in devices)


def score(
    alerts: list[Alert],
    truth: list[dict[str, Any]],
    *,
    since: float,
    home_days: float,
    elders: Collection[str] | None = None,
) -> dict[str, Any]:
    """The §5 evaluation object, limited to ``elders`` when given."""
    truth = [r for r in truth if elders is None or r["elder_id"] in elders]
    incidents: dict[tuple[str, str], list[int]] = defaultdict(list)
    away: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for k, rec in enumerate(truth):
        if rec["type"] == "away":
            away[rec["elder_id"]].append((rec["start_s"], rec["end_s"]))
        else:
            incidents[rec["elder_id"], rec["type"]].append(k)
    delay: dict[int, float] = {}
    false_by: dict[str, int] = defaultdict(int)
    while_away = 0
    for alert in alerts:
        if alert.opened_at < since or (elders is not None and alert.elder_id not in elders):
            continue
        mine = incidents.get((alert.elder_id, alert.type), [])
        hits = [k for k in mine if _detects(alert, truth[k])]
        for k in hits:
            d = alert.opened_at - truth[k]["start_s"]
            delay[k] = min(delay.get(k, d), d)
        if not hits:
            false_by[alert.type] += 1
        outings = away.get(alert.elder_id, [])
        if alert.type in AWAY_TYPES and any(a <= alert.opened_at < b for a, b in outings):
            while_away += 1
    by_type: dict[str, dict[str, Any]] = {}
    for (_, kind), ks in incidents.items():
        row = by_type.setdefault(kind, {"incidents": 0, "_delays": []})
        scored = [k for k in ks if truth[k]["start_s"] >= since]
        row["incidents"] += len(scored)
        row["_delays"] += [delay[k] for k in scored if k in delay]
    total_false = sum(false_by.values())
    return {
        "home_days": round(home_days, 1),
        "by_type": {kind: _row(by_type[kind]) for kind in sorted(by_type)},
        "false_alarms": {
            "total": total_false,
            "per_100_home_days": round(100 * total_false / home_days, 3) if home_days else None,
            "by_type": dict(sorted(false_by.items())),
        },
        "alerts_while_away": while_away,
    }


def _row(tally: dict[str, Any]) -> dict[str, Any]:
    found = np.array(tally["_delays"], dtype=np.float64)
    n = tally["incidents"]
    return {
        "incidents": n,
        "detected": len(found),
        "recall": round(len(found) / n, 4) if n else None,
        "delay_median_s": round(float(np.median(found)), 1) if len(found) else None,
        "delay_p90_s": round(float(np.percentile(found, 90)), 1) if len(found) else None,
    }
