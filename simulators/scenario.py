"""Scenario files: incidents to inject at given times, for demos and detector tests.

JSON array or JSON lines of ``{"type": "fall", "elder_id": "KP-000001" | "home": 0,
"at": "2026-07-06T10:30:00+08:00" | "+26h"}``. ``at`` relative to the start of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulators.clock import parse_duration, parse_iso_or_epoch
from simulators.incidents import KINDS, Forced
from simulators.world import World


def load_scenario(path: Path, world: World, start: float) -> list[Forced]:
    text = path.read_text("utf-8").strip()
    items = (
        json.loads(text)
        if text.startswith("[")
        else [json.loads(x) for x in text.splitlines() if x.strip()]
    )
    by_elder = {home.elder_id: home.index for home in world.homes}
    out = []
    for number, item in enumerate(items, 1):
        kind = item.get("type")
        if kind not in KINDS:
            raise ValueError(f"{path} item {number}: type must be one of {', '.join(KINDS)}")
        home = by_elder.get(item["elder_id"]) if "elder_id" in item else item.get("home")
        if not isinstance(home, int) or not 0 <= home < len(world.homes):
            raise ValueError(f"{path} item {number}: no such household in this world")
        raw = item.get("at", "+0s")
        if isinstance(raw, str) and raw.startswith("+"):
            at = start + parse_duration(raw[1:])
        else:
            found = parse_iso_or_epoch(raw)
            if found is None:
                raise ValueError(f"{path} item {number}: at must be ISO 8601 or +duration")
            at = found
        out.append(Forced(home=home, kind=kind, at=at))
    return out
