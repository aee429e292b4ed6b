"""Ground truth of the simulated days: what each incident should raise (truth.jsonl)."""

from __future__ import annotations

from typing import Any

from simulators.clock import iso
from simulators.day_plan import DayPlan
from simulators.world import Home


def record_truth(  # noqa: PLR0917 - one truth line, its fields as the contract names them
    plan: DayPlan,
    home: Home,
    kind: str,
    start: float,
    end: float | None = None,
    devices: list[int] | None = None,
    note: str | None = None,
) -> None:
    """Append one truth.jsonl line (contract §4) to the day's plan: what a detector should
    find, when it began and ended, and the devices that carry the evidence."""
    record: dict[str, Any] = {"elder_id": home.elder_id, "type": kind, "start": iso(start)}
    if end is not None:
        record["end"] = iso(end)
    if devices:
        record["_devices"] = devices  # device indices, named by the generator
    if note:
        record["note"] = note
    plan.truth.append(record)
