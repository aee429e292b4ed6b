"""Event kinds of the wire contract, and the device types that send them."""

from __future__ import annotations

from enum import StrEnum


class DeviceType(StrEnum):
    MOTION_SENSOR = "motion_sensor"
    DOOR_SENSOR = "door_sensor"
    BED_SENSOR = "bed_sensor"
    POWER_METER = "power_meter"
    WATER_METER = "water_meter"
    ENV_SENSOR = "env_sensor"
    SMOKE_DETECTOR = "smoke_detector"
    GAS_DETECTOR = "gas_detector"
    FALL_DETECTOR = "fall_detector"
    WEARABLE = "wearable"
    SOS_BUTTON = "sos_button"


# kind -> how its value is read:
#   "flag"   1/0 or true/false, required
#   "one"    1 or true; missing means 1
#   "none"   no value expected; a number or boolean is kept, anything else refused
#   (lo, hi) a number in that closed range, required
ValueRule = str | tuple[float, float]

KINDS: dict[str, ValueRule] = {
    "motion": "one",
    "door": "flag",
    "bed": "flag",
    "chair": "flag",
    "power": (0.0, 100_000.0),
    "water": (0.0, 100_000.0),
    "temperature": (-60.0, 100.0),
    "humidity": (0.0, 100.0),
    "smoke": "flag",
    "gas": "flag",
    "fall": "one",
    "heart_rate": (0.0, 350.0),
    "sos": "none",
    "cancel": "none",
    "checkin": "none",
    "heartbeat": "none",
    "tamper": "flag",
}

# Kinds that skip the batch: an alert must reach a person before anything else is waited for.
CRITICAL_KINDS = frozenset({"sos", "fall", "smoke", "gas"})
