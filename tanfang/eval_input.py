"""The files ``tanfang evaluate`` reads (contract §4), turned into what the detectors read:
homes.json → ``Homes`` and ``Profiles``; events.jsonl → ``EventBatch`` chunks in file order.

The file has no receive times: a line's receive time is the file's clock, the latest
trusted device time before it. A ``ts`` missing, unreadable, more than ``AHEAD_S`` ahead of
that clock or ``BEHIND_S`` behind it is untrusted — the gateway's ``clock_skew`` /
``no_device_time`` (contract §1: 5 min ahead against a real clock; a file of few homes can
be silent for longer than that, so the file's clock allows half an hour)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson

from gateway.detectors import DeviceInfo, EventBatch, Homes, Profiles, build_homes
from gateway.detectors.absences import Absences
from gateway.detectors.codes import KIND
from gateway.detectors.profiles import ElderFacts, profiles_of
from tanfang.eval_absences import Watch, absences_of, watch_of

AHEAD_S: Final = 1800.0
BEHIND_S: Final = 7 * 86_400.0
_NUMBER: Final = (int, float)
CHUNK_LINES: Final = 200_000
# Kind codes of status lines (not events): the Last Will, and back online. Another status
# is a dead letter of the gateway's: left out, as a raw payload is (neither is heard:
# device health counts stored messages only).
OFFLINE: Final = -2
ONLINE: Final = -3
_STATUS: Final = {"offline": OFFLINE, "online": ONLINE}


@dataclass(frozen=True, slots=True)
class HomesFile:
    homes: Homes
    profiles: Profiles
    kits: dict[str, str]  # elder id → the simulator's kit, when the file says
    absences: Absences
    elders: tuple[dict[str, Any], ...]  # the file's elder objects, in slot order
    buttons: dict[int, str]  # slot → the elder's first Ping An Tong button
    watch: tuple[Watch, ...]  # heightened-watch periods


def load_homes_file(path: Path) -> HomesFile:
    doc: dict[str, Any] = json.loads(path.read_bytes())
    elders = doc["elders"]
    devices = [
        DeviceInfo(
            device_id=d["id"],
            elder_id=d.get("elder_id"),
            type=d["type"],
            room=d.get("room"),
            heartbeat_interval_s=float(d.get("heartbeat_interval_s") or 3600),
        )
        for d in doc["devices"]
    ]
    homes = build_homes((e["id"] for e in elders), devices)
    profiles = profiles_of(
        [
            ElderFacts(
                living_arrangement=e.get("living_arrangement"),
                incapacitated=bool(e.get("incapacitated")),
                dementia=bool(e.get("dementia")),
                disability_level=e.get("disability_level"),
                inactivity_alert_after_minutes=e.get("inactivity_alert_after_minutes"),
            )
            for e in elders
        ]
    )
    sim = doc.get("simulation", {}).get("households", [])
    kits = {h["elder_id"]: h["kit"] for h in sim if "kit" in h}
    absences = absences_of(doc.get("absences", {}), homes.elder_ids)
    buttons = buttons_of(doc["devices"], homes.elder_ids)
    watch = watch_of(doc.get("watch_periods", []))
    return HomesFile(homes, profiles, kits, absences, tuple(elders), buttons, watch)


def buttons_of(devices: Sequence[Mapping[str, Any]], elder_ids: Sequence[str]) -> dict[int, str]:
    """Slot → the elder's first Ping An Tong button of homes.json's devices."""
    slots = {e: i for i, e in enumerate(elder_ids)}
    out: dict[int, str] = {}
    for d in devices:
        slot = slots.get(str(d.get("elder_id")))
        if d.get("type") == "sos_button" and slot is not None:
            out.setdefault(slot, d["id"])
    return out


def _epoch(ts: object) -> float:
    if isinstance(ts, str):
        try:
            return datetime.fromisoformat(ts).timestamp()
        except ValueError:
            return math.nan
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return float(ts)
    return math.nan


@dataclass(slots=True)
class LeftOut:
    """Lines of the file that are not an object of contract §4 (not JSON, a JSON array,
    a device id that is not a string, …): left out as the gateway dead-letters them,
    counted, the first one's number kept."""

    lines: int = 0
    first: int = 0

    def add(self, number: int) -> None:
        self.lines += 1
        self.first = self.first or number


def read_events(path: Path, homes: Homes, left_out: LeftOut | None = None) -> Iterator[EventBatch]:
    """Chunks of the file's events and status lines (``OFFLINE``/``ONLINE`` kinds), in file
    order; lines of unknown devices, raw payloads and unreadable statuses are left out
    (dead letters), and so are lines that are no event at all (counted in
    ``left_out``)."""
    return read_lines(path, index_of(homes.device_ids), left_out or LeftOut())


def index_of(device_ids: Iterable[str]) -> dict[str, int]:
    """Device id → position, for a line-by-line reader (an evaluated file's fleet); an id
    listed twice is its first, as ``DeviceIds.lookup`` finds it."""
    index: dict[str, int] = {}
    for i, d in enumerate(device_ids):
        index.setdefault(d, i)
    return index


def read_lines(path: Path, index: dict[str, int], left_out: LeftOut) -> Iterator[EventBatch]:
    """``read_events`` with the devices' slots ``index`` (device id → slot)."""
    clock = -math.inf
    dev: list[int] = []
    kind: list[int] = []
    value: list[float] = []
    ts: list[float] = []
    rec: list[float] = []
    bad: list[bool] = []
    charge: list[float] = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            try:
                msg = orjson.loads(line)
                d = index.get(msg.get("device_id"))
                if d is None:
                    continue
                event = msg.get("event")
                if event is None:
                    k = _STATUS.get(msg.get("status"), 0)
                    if not k:
                        continue
                    v, t, untrusted, b = math.nan, clock, True, math.nan
                else:
                    k = KIND.get(event.get("kind"), -1)
                    raw = event.get("value")
                    v = float(raw) if isinstance(raw, int | float) else math.nan
                    level = event.get("battery")
                    # As the gateway stores it: a number 0–100, else set aside.
                    b = float(level) if type(level) in _NUMBER and 0 <= level <= 100 else math.nan
                    t = _epoch(event.get("ts"))
                    untrusted = not (clock - BEHIND_S <= t <= clock + AHEAD_S) and clock > -math.inf
            except (orjson.JSONDecodeError, AttributeError, TypeError):
                left_out.add(number)
                continue
            if math.isnan(t):
                untrusted = True
            elif not untrusted and t > clock:
                clock = t
            dev.append(d)
            kind.append(k)
            value.append(v)
            ts.append(clock if untrusted else t)
            rec.append(clock)
            bad.append(untrusted)
            charge.append(b)
            if len(dev) >= CHUNK_LINES:
                yield _batch(dev, kind, value, ts, rec, bad, charge)
                dev, kind, value, ts, rec, bad, charge = [], [], [], [], [], [], []
    if dev:
        yield _batch(dev, kind, value, ts, rec, bad, charge)


def _batch(  # noqa: PLR0917 - the parallel lists
    dev: list[int],
    kind: list[int],
    value: list[float],
    ts: list[float],
    rec: list[float],
    bad: list[bool],
    charge: list[float],
) -> EventBatch:
    return EventBatch(
        device=np.array(dev, dtype=np.intp),
        kind=np.array(kind, dtype=np.intp),
        value=np.array(value),
        ts=np.array(ts),
        received=np.array(rec),
        untrusted=np.array(bad, dtype=bool),
        battery=np.array(charge),
    )


def read_truth(path: Path) -> list[dict[str, Any]]:
    out = []
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                rec = orjson.loads(line)
                rec["start_s"] = _epoch(rec["start"])
                rec["end_s"] = _epoch(rec["end"]) if rec.get("end") else math.nan
                out.append(rec)
    return out
