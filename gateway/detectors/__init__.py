"""The detectors' pure core: household state in numpy arrays, baselines learned per elder,
and detectors ``(state, baseline, now) → findings``. No database, no MQTT, no asyncio."""

from gateway.detectors.baseline import Baseline, QuietHistory, build, observe
from gateway.detectors.events import EventBatch
from gateway.detectors.findings import Findings, describe
from gateway.detectors.hearing import mark_offline
from gateway.detectors.homes import DeviceInfo, Homes, build_homes
from gateway.detectors.profiles import Profiles
from gateway.detectors.state import HouseholdState, apply, new_state
from gateway.detectors.sweep import sweep

__all__ = [
    "Baseline",
    "DeviceInfo",
    "EventBatch",
    "Findings",
    "Homes",
    "HouseholdState",
    "Profiles",
    "QuietHistory",
    "apply",
    "build",
    "build_homes",
    "describe",
    "mark_offline",
    "new_state",
    "observe",
    "sweep",
]
