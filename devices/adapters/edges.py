"""Levels become edges: the rules every adapter applies through its :class:`Memory`.

A foreign sensor repeats its state with every report (a Zigbee motion sensor says
``occupancy: true`` at each detection, a plug its watts every few seconds); Tanfang stores
what *changed*. Each rule here reads and updates the memory of one (address, key) and says
whether the new value is news. Forgetting (the memory is bounded, and empty after a restart)
costs at most one repeated event, never a lost one.

Nothing here applies to a button's press: a press is an event, not a state, and is never
held back by memory (``zigbee2mqtt`` actions, ESPHome ``ON``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final

from devices.adapters.base import AdapterSettings, Memory, Output, Reading, Refusal, Value

#: Liveness: a report that changed nothing still becomes one ``heartbeat`` per this many
#: seconds per address, so a door sensor that is never opened is not taken for dead (device
#: health counts silence in ``heartbeat_interval_s``; below the default 300 s, so that a
#: device registered with the default is never judged by our rate limit).
HEARTBEAT_EVERY_S: Final = 240.0
#: A temperature is news when it moved by this many °C since the last one stored …
TEMPERATURE_STEP_C: Final = 0.5
#: … a humidity by this many points of %RH …
HUMIDITY_STEP: Final = 3.0
#: … a heart rate by this many beats per minute …
HEART_RATE_STEP: Final = 5.0
#: … or when the last one stored is this old: the abnormal-temperature detector needs a
#: fresh reading even from a room whose temperature does not move.
LEVEL_REFRESH_S: Final = 1800.0

# Memory key of the last time anything was emitted for an address (heartbeat pacing).
_EMITTED: Final = "_emitted"


def changed(memory: Memory, address: str, key: Hashable, value: object) -> bool:
    """A state (door open, smoke, tamper): news when it differs from the last one seen."""
    return memory.changed(address, key, value)


def motion(
    memory: Memory, address: str, key: Hashable, on: bool, *, now: float, refresh_s: float
) -> bool:
    """Occupancy or presence: news on the edge off → on, and while it stays on, once per
    ``refresh_s`` (``TANFANG_ADAPTER_MOTION_REFRESH_S``): an occupied room is one activity
    episode, not a flood, but hours of presence still show the person is there."""
    last = memory.get(address, key)
    if not on:
        memory.put(address, key, (False, None))
        return False
    if (
        isinstance(last, tuple)
        and last[0] is True
        and isinstance(last[1], float)
        and now - last[1] < refresh_s
    ):
        return False
    memory.put(address, key, (True, float(now)))
    return True


def power(
    memory: Memory, address: str, key: Hashable, watts: float, settings: AdapterSettings
) -> bool:
    """A plug's watts: news when it crosses ``power_on_w`` either way, or changes by more
    than ``power_change_share`` of the last value stored while above it (a TV at a steady
    95 W is one event; a kettle 0 → 2000 → 0 is two; a charger's standby 1 → 2 W is none).
    The first value seen is news: it says where the appliance stands."""
    last = memory.get(address, key)
    if not isinstance(last, float):
        memory.put(address, key, float(watts))
        return True
    threshold = settings.power_on_w
    crossed = (last < threshold) != (watts < threshold)
    above = last >= threshold or watts >= threshold
    moved = abs(watts - last) > settings.power_change_share * max(last, threshold)
    if crossed or (above and moved):
        memory.put(address, key, float(watts))
        return True
    return False


def level(
    memory: Memory, address: str, key: Hashable, value: float, *, step: float, now: float
) -> bool:
    """A slow measure (temperature, humidity): news when it moved by ``step`` since the last
    value stored, or when that one is :data:`LEVEL_REFRESH_S` old."""
    last = memory.get(address, key)
    if isinstance(last, tuple) and len(last) == 2:
        stored, at = last
        if abs(value - stored) < step and now - at < LEVEL_REFRESH_S:
            return False
    memory.put(address, key, (float(value), float(now)))
    return True


def heartbeat_due(memory: Memory, address: str, now: float) -> bool:
    """Whether a report that changed nothing should still say the device is alive."""
    last = memory.get(address, _EMITTED)
    return not isinstance(last, float) or now - last >= HEARTBEAT_EVERY_S


def emitted(memory: Memory, address: str, now: float) -> None:
    """Remember that an event of ``address`` was just given out (see :func:`heartbeat_due`)."""
    memory.put(address, _EMITTED, float(now))


# kind of a slow measure -> (step that is news, lowest and highest plausible value)
_MEASURES: Final[Mapping[str, tuple[float, float, float]]] = {
    "temperature": (TEMPERATURE_STEP_C, -60.0, 100.0),
    "humidity": (HUMIDITY_STEP, 0.0, 100.0),
    "heart_rate": (HEART_RATE_STEP, 0.0, 350.0),
}
#: No appliance of a home draws more (and a meter's error codes are larger).
MAX_WATTS: Final = 100_000.0


@dataclass(slots=True)
class Message:
    """What one foreign message gives out, gathered field by field through the rules above:
    the events per address it touched, and the refusals of its unusable fields."""

    memory: Memory
    now: float
    settings: AdapterSettings
    events: dict[str, list[tuple[str, Value]]] = field(default_factory=dict)
    refusals: list[Output] = field(default_factory=list)

    def touch(self, address: str) -> list[tuple[str, Value]]:
        """The events of ``address`` (it reported, even if nothing changed)."""
        return self.events.setdefault(address, [])

    def add(self, address: str, kind: str, value: Value) -> None:
        self.touch(address).append((kind, value))

    def refuse(self, reason: str, address: str | None) -> None:
        self.refusals.append(Refusal(reason[:200], address))

    def motion(self, address: str, key: Hashable, on: bool) -> None:
        """``motion`` when occupancy/presence ``on`` is news (:func:`motion`)."""
        refresh_s = self.settings.motion_refresh_s
        if motion(self.memory, address, key, on, now=self.now, refresh_s=refresh_s):
            self.add(address, "motion", 1)
        else:
            self.touch(address)

    def power(self, address: str, watts: float | None, field_name: str) -> None:
        """``power`` when ``watts`` (read from ``field_name``) is news (:func:`power`)."""
        self.touch(address)
        if watts is None or not 0.0 <= watts <= MAX_WATTS:
            self.refuse(f"{field_name} is not a number in 0..{MAX_WATTS:g} W", address)
        elif power(self.memory, address, "power", watts, self.settings):
            self.add(address, "power", watts)

    def measure(self, address: str, kind: str, value: float | None, field_name: str) -> None:
        """A temperature, humidity or heart rate read from ``field_name``: its event when it
        is news (:func:`level`); refused when it is no plausible value (a sensor's error
        code such as -3276.8, a string, NaN)."""
        self.touch(address)
        step, low, high = _MEASURES[kind]
        if value is None or not low <= value <= high:
            self.refuse(f"{field_name} is not a number in {low:g}..{high:g} ({kind})", address)
        elif level(self.memory, address, kind, value, step=step, now=self.now):
            self.add(address, kind, value)

    def outputs(
        self,
        ts: float | None = None,
        battery: float | None = None,
        rssi: float | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> list[Output]:
        """The readings — for an address whose report changed nothing, a ``heartbeat``
        when one is due — then the refusals."""
        out: list[Output] = []
        for address, found in self.events.items():
            kinds = found
            if not kinds and heartbeat_due(self.memory, address, self.now):
                kinds = [("heartbeat", None)]
            if kinds:
                emitted(self.memory, address, self.now)
            out.extend(
                Reading(address, kind, value, ts, battery, rssi, None, dict(extra or {}))
                for kind, value in kinds
            )
        out.extend(self.refusals)
        return out
