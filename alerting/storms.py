"""Storms never mute a life: when many devices of one town go offline within a minute (a
village's power cut, a cell tower down), one town-level ``device_offline`` incident is
escalated instead of one alert per device. Pure rules; the use cases are in
``alerting.storm_services``.

A storm's per-device alerts are still opened (on record, each clears itself when its
device is back) but **grouped** under the incident (``parent_id``): their escalation does
not start. Only the types of ``alerting.lifecycle.GROUPABLE`` may be grouped; ``sos``,
``fall``, ``smoke`` and ``gas`` never are — ``alerting.services.open_alert`` starts their
escalation whatever the signal asks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

# A storm: this many devices of one town newly offline within the window. A household has a
# handful of devices, so twenty is several homes at once — no single home's fault — while a
# town's ordinary day (a few batteries, a router restarted) stays far below it.
STORM_DEVICES: Final = 20
# The window those devices fall in: a power cut takes a village's devices down within
# seconds, and the sweep (every 5 s) sees them over its next few turns.
STORM_WINDOW_S: Final = 60.0
# The incident clears itself when this share of its devices is back: "most of them". A few
# devices the surge broke must not keep the incident (and the grouping of every new offline
# device in the town) standing for ever; those still offline then escalate one by one.
BACK_PERCENT: Final = 90
# Device ids listed in one timeline row of the incident: enough to tell the village, small
# enough to read (the grouped alerts themselves list them all).
MAX_LISTED_DEVICES: Final = 50
STORM_TITLE: Final = "設備集中離線"


@dataclass(frozen=True, slots=True)
class StormRule:
    """``devices`` of one town newly offline within ``window_s`` make a storm
    (``TANFANG_STORM_DEVICES``, ``TANFANG_STORM_WINDOW_S``)."""

    devices: int = STORM_DEVICES
    window_s: float = STORM_WINDOW_S

    def __post_init__(self) -> None:
        if self.devices < 2:
            raise ValueError("a storm is at least two devices")
        if self.window_s <= 0:
            raise ValueError("a storm's window is longer than nothing")

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)


def storm_towns(
    new: Mapping[str, int], recent: Mapping[str, int], standing: Collection[str], rule: StormRule
) -> set[str]:
    """The towns whose new offline devices are grouped now: those whose incident stands,
    and those where the devices found offline now (``new``) and the device alerts opened
    within the window before (``recent``) reach ``rule.devices``."""
    started = {town for town, n in new.items() if n + recent.get(town, 0) >= rule.devices}
    return started | set(standing)


def is_over(devices: int, still_offline: int) -> bool:
    """Whether an incident of ``devices`` grouped devices, ``still_offline`` of them still
    offline, is over: ``BACK_PERCENT`` % of them are back (or it groups none any more)."""
    return 100 * (devices - still_offline) >= BACK_PERCENT * devices


def incident_summary(town: str, devices: int) -> str:
    """``設備集中離線 — 赤坎鎮 200 台``: the town and how many devices are grouped."""
    return f"{STORM_TITLE} — {town} {devices} 台"


def listed(device_ids: list[str]) -> list[str]:
    """The device ids a timeline row lists: the first ``MAX_LISTED_DEVICES``."""
    return device_ids[:MAX_LISTED_DEVICES]
