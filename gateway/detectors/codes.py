"""Small integer codes for what the detectors read: event kinds, rooms, alert types.

The detectors keep household state in numpy arrays, so kinds and rooms are codes, not
strings; the tables here are the one place that maps them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt

KINDS: Final = (
    "motion",
    "door",
    "bed",
    "chair",
    "power",
    "water",
    "temperature",
    "humidity",
    "smoke",
    "gas",
    "fall",
    "heart_rate",
    "sos",
    "cancel",
    "checkin",
    "heartbeat",
    "tamper",
)
KIND: Final[dict[str, int]] = {k: i for i, k in enumerate(KINDS)}
MOTION: Final = KIND["motion"]
DOOR: Final = KIND["door"]
BED: Final = KIND["bed"]
POWER: Final = KIND["power"]
TEMPERATURE: Final = KIND["temperature"]
SOS: Final = KIND["sos"]
CANCEL: Final = KIND["cancel"]
FALL: Final = KIND["fall"]
SMOKE: Final = KIND["smoke"]
GAS: Final = KIND["gas"]
HEART_RATE: Final = KIND["heart_rate"]


def kind_table(kinds: Iterable[int]) -> npt.NDArray[np.bool_]:
    """``kinds`` as a lookup table for ``in_kinds``: one entry per code, and a last one
    (False) for the codes below 0 (-1: a kind not read; the caller's own status codes)."""
    table = np.zeros(len(KINDS) + 1, dtype=bool)
    table[list(kinds)] = True
    return table


def in_kinds(table: npt.NDArray[np.bool_], kind: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """``np.isin(kind, kinds)`` for ``table = kind_table(kinds)``: an index, where ``isin``
    sorts — it ran a few times on every batch of a sweep's few events."""
    out: npt.NDArray[np.bool_] = table[np.maximum(kind, -1)]
    return out


# What a person causes: evidence of life (a power reading only when it switches on, below).
ACTIVITY_KINDS: Final = frozenset(
    KIND[k]
    for k in ("motion", "door", "bed", "chair", "power", "water", "sos", "cancel", "checkin")
)
# A Ping An Tong button goes out with its owner: a press says they are alive, not where.
CARRIED_KINDS: Final = frozenset(KIND[k] for k in ("sos", "cancel", "checkin"))
# A meter reports water or power used as the use ends, when the person may already be
# walking to another room: life, but not where they are (``HouseholdState.quiet_room``).
METER_KINDS: Final = frozenset(KIND[k] for k in ("power", "water"))
ACTIVITY_TABLE: Final = kind_table(ACTIVITY_KINDS)
CARRIED_TABLE: Final = kind_table(CARRIED_KINDS)
METER_TABLE: Final = kind_table(METER_KINDS)
# A call for help (an SOS press, a fall detected) and its withdrawal (a cancel).
CALL_TABLE: Final = kind_table(KIND[k] for k in ("sos", "fall", "cancel"))


# Events that are an alert of their own at once (contract §2: critical).
EMERGENCY_KINDS: Final[dict[int, str]] = {SOS: "sos", FALL: "fall", SMOKE: "smoke", GAS: "gas"}

ROOMS: Final = ("other", "entrance", "bedroom", "living_room", "kitchen", "bathroom")
ROOM: Final[dict[str, int]] = {r: i for i, r in enumerate(ROOMS)}
ENTRANCE: Final = ROOM["entrance"]
BATHROOM: Final = ROOM["bathroom"]
BEDROOM: Final = ROOM["bedroom"]

# Device types that report what a person does (their silence is what inactivity reads).
ACTIVITY_DEVICE_TYPES: Final = frozenset(
    {"motion_sensor", "door_sensor", "bed_sensor", "power_meter", "water_meter"}
)

# An appliance counts as used when its reading crosses this: a TV plug reporting every 15
# minutes while on is not someone moving, switching it on is.
POWER_SWITCH_W: Final = 5.0

ALERT_TYPES: Final = (
    "inactivity",
    "night_wandering",
    "abnormal_temperature",
    "abnormal_vitals",
    "activity_drop",
    "device_offline",
)
INACTIVITY: Final = 0
NIGHT_WANDERING: Final = 1
ABNORMAL_TEMPERATURE: Final = 2
ABNORMAL_VITALS: Final = 3
ACTIVITY_DROP: Final = 4
# A device problem found by the detectors (a stuck motion sensor): the contract's type for a
# device that no longer tells us anything (docs/detection.md says why not a new type).
DEVICE_OFFLINE: Final = 5
# What a declared absence silences (contract §2: activity-based alerts; the wearable's
# readings too — it is not on the elder at home); temperature and a stuck sensor are the
# home's, emergencies are never silenced.
SILENCED_BY_ABSENCE: Final = (INACTIVITY, NIGHT_WANDERING, ABNORMAL_VITALS, ACTIVITY_DROP)


def kind_code(kind: str) -> int:
    """The code of ``kind``, -1 for a kind the detectors do not read."""
    return KIND.get(kind, -1)


def room_code(room: str | None) -> int:
    return ROOM.get(room or "other", 0)
