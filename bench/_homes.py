"""Messages and events a simulated home sends a day, by device kit (``simulators.world``):
the rate the scale plan multiplies by the number of homes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from simulators import codes
from simulators.clock import TZ
from simulators.generator import Generator
from simulators.world import build_world

START = datetime(2026, 7, 6, tzinfo=TZ)


@dataclass(frozen=True, slots=True)
class KitRate:
    kit: str
    homes: int
    devices_per_home: float
    messages_per_home_day: float  # every MQTT message (status included)
    events_per_home_day: float  # event objects: what becomes a row


def per_kit(households: int, days: int, seed: int = 1) -> list[KitRate]:
    """Simulate ``households`` homes for ``days`` and count per kit (and ``all``)."""
    world = build_world(households, seed, START)
    begin = START.timestamp()
    generator = Generator(world, begin, begin + days * 86400)
    messages = np.zeros(len(world.devices), dtype=np.int64)
    events = np.zeros(len(world.devices), dtype=np.int64)
    for chunk in generator.chunks():
        messages += np.bincount(chunk.dev, minlength=len(messages))
        events += np.bincount(chunk.dev[chunk.code < codes.ONLINE], minlength=len(events))
    kit_of_device = [world.homes[d.home].kit for d in world.devices]
    homes: dict[str, int] = defaultdict(int)
    for home in world.homes:
        homes[home.kit] += 1
        homes["all"] += 1
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for index, kit in enumerate(kit_of_device):
        for key in (kit, "all"):
            sums[key][0] += 1
            sums[key][1] += int(messages[index])
            sums[key][2] += int(events[index])
    return [
        KitRate(
            kit,
            homes[kit],
            sums[kit][0] / homes[kit],
            sums[kit][1] / homes[kit] / days,
            sums[kit][2] / homes[kit] / days,
        )
        for kit in sorted(homes, key=lambda k: (k == "all", k))
    ]
