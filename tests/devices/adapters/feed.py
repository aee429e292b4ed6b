"""Fixtures of foreign messages, and a feed that plays them through an adapter on a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import yaml

from devices.adapters.base import (
    Adapter,
    AdapterSettings,
    Alias,
    Availability,
    Memory,
    Output,
    Reading,
    Refusal,
)

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_795_910_400.0  # 2026-11-29 00:00 UTC


@cache
def _messages(source: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / f"{source}.yaml").read_text("utf-8"))
    return loaded


def fixture_messages(source: str) -> dict[str, tuple[str, Any]]:
    """Every fixture of ``source``: name -> (topic, payload as loaded)."""
    return {name: (item["topic"], item["payload"]) for name, item in _messages(source).items()}


def message(source: str, name: str) -> tuple[str, bytes]:
    """The fixture ``name`` of ``source``: its topic and payload bytes."""
    item = _messages(source)[name]
    payload = item["payload"]
    raw = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
    return item["topic"], raw


@dataclass
class Feed:
    """One adapter with its memory, fed messages at times it controls."""

    adapter: Adapter
    settings: AdapterSettings = field(default_factory=AdapterSettings)
    memory: Memory = field(default_factory=Memory)
    now: float = T0

    def send(self, topic: str, payload: bytes, after_s: float = 0.0) -> list[Output]:
        self.now += after_s
        return self.adapter.adapt(topic, payload, self.memory, self.now, self.settings)

    def play(self, name: str, after_s: float = 0.0) -> list[Output]:
        topic, payload = message(self.adapter.kind, name)
        return self.send(topic, payload, after_s)


def kinds(outputs: list[Output]) -> list[tuple[str, str, object]]:
    """(address, kind, value) of the readings, heartbeats left out."""
    return [
        (o.address, o.kind, o.value)
        for o in outputs
        if isinstance(o, Reading) and o.kind != "heartbeat"
    ]


def readings(outputs: list[Output]) -> list[Reading]:
    return [o for o in outputs if isinstance(o, Reading)]


def refusals(outputs: list[Output]) -> list[Refusal]:
    return [o for o in outputs if isinstance(o, Refusal)]


def availability(outputs: list[Output]) -> list[Availability]:
    return [o for o in outputs if isinstance(o, Availability)]


def aliases(outputs: list[Output]) -> list[Alias]:
    return [o for o in outputs if isinstance(o, Alias)]
