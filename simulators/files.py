"""The simulator's files (contract §4): events.jsonl, truth.jsonl, homes.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from simulators import codes
from simulators.generator import Generator, online_rows
from simulators.wire import Wire
from simulators.world import World


@dataclass(slots=True)
class FileStats:
    messages: int = 0
    events: int = 0
    incidents: int = 0
    days: int = 0


def write_homes(
    world: World,
    path: Path,
    absences: dict[str, list[dict[str, Any]]] | None = None,
    watch: list[dict[str, Any]] | None = None,
) -> None:
    doc = world.homes_json(absences, watch)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")


def truth_line(record: dict[str, Any]) -> str:
    return orjson.dumps(record).decode() + "\n"


def write_stream(
    world: World, generator: Generator, events: IO[str] | None, truth: IO[str] | None
) -> FileStats:
    """Generate as fast as possible; the same lines live publishing would send."""
    wire = Wire(world)
    stats = FileStats()
    for chunk in generator.chunks():
        if events is not None:
            events.write(wire.text(chunk))
        else:
            wire.render(chunk)
        stats.messages += len(chunk)
        stats.events += int((chunk.code < codes.ONLINE).sum())
        stats.days += 1
        for record in chunk.truth:
            stats.incidents += 1
            if truth is not None:
                truth.write(truth_line(record))
    tail = online_rows(generator.end, len(world.devices), codes.OFFLINE)
    if events is not None:
        events.write(wire.text(tail))
    stats.messages += len(tail)
    return stats


@dataclass(frozen=True, slots=True)
class Recorded:
    """One line of events.jsonl: where it goes and what it carries."""

    device_id: str
    channel: str  # events | status
    payload: bytes
    retain: bool
    ts: float | None  # the event's own time, for paced replay


def read_events(path: Path) -> Iterator[Recorded]:
    """Lines of an events.jsonl file (the simulator's, or a converted dataset)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
            yield _recorded(doc, path, number)


def _recorded(doc: Any, path: Path, number: int) -> Recorded:
    if type(doc) is not dict or type(doc.get("device_id")) is not str:
        raise ValueError(f"{path}:{number}: expected an object with a device_id")
    device = doc["device_id"]
    if "event" in doc:
        event = doc["event"]
        return Recorded(device, "events", orjson.dumps(event), False, _event_time(event))
    if "status" in doc:
        return Recorded(device, "status", str(doc["status"]).encode(), True, None)
    if "raw" in doc:
        return Recorded(device, "events", str(doc["raw"]).encode(), False, None)
    raise ValueError(f"{path}:{number}: expected event, status or raw")


def _event_time(event: Any) -> float | None:
    from datetime import datetime

    ts = event.get("ts") if type(event) is dict else None
    if type(ts) is str:
        try:
            return datetime.fromisoformat(ts).timestamp()
        except ValueError:
            return None
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return float(ts)
    return None
