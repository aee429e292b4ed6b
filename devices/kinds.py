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
    # Water on the floor (a zigbee2mqtt ``water_leak``): 1 wet, 0 dry. Not ``water``, which is
    # litres used: a flood is not a tap turned on, and must not read as the elder's activity.
    "leak": "flag",
}

# Kinds that skip the batch: an alert must reach a person before anything else is waited for.
CRITICAL_KINDS = frozenset({"sos", "fall", "smoke", "gas"})

# Kinds every device type may send: its liveness signal, and its casing opened or moved.
_EVERY_DEVICE: frozenset[str] = frozenset({"heartbeat", "tamper"})

# Device type -> the kinds it may send (besides heartbeat and tamper). Another kind is
# refused (dead letter ``kind_not_allowed``): a motion sensor's ``checkin`` would otherwise
# count as an online visit and a door sensor's ``cancel`` could close an SOS. A critical kind
# from an unexpected type is never refused (``devices.kind_check``). The table follows what
# real devices of each type report; a kind is in it only when such devices send it.
ALLOWED_KINDS: dict[DeviceType, frozenset[str]] = {
    # PIR / radar presence; multi-sensors (Hue, Aqara) also report room temperature.
    DeviceType.MOTION_SENSOR: _EVERY_DEVICE | {"motion", "temperature"},
    # A reed contact reports open/closed only.
    DeviceType.DOOR_SENSOR: _EVERY_DEVICE | {"door"},
    # Pressure mats lie in beds and chairs alike; under-mattress sensors (Withings
    # Sleep, radar pads) also measure heart rate.
    DeviceType.BED_SENSOR: _EVERY_DEVICE | {"bed", "chair", "heart_rate"},
    DeviceType.POWER_METER: _EVERY_DEVICE | {"power"},
    # Leak probes come alone (Aqara SJCGQ11LM) or on the meter's valve.
    DeviceType.WATER_METER: _EVERY_DEVICE | {"water", "leak"},
    DeviceType.ENV_SENSOR: _EVERY_DEVICE | {"temperature", "humidity", "leak"},
    # Optical smoke detectors often carry a heat sensor as well.
    DeviceType.SMOKE_DETECTOR: _EVERY_DEVICE | {"smoke", "temperature"},
    DeviceType.GAS_DETECTOR: _EVERY_DEVICE | {"gas"},
    # mmWave radar: falls, and presence (reported as ``motion``).
    DeviceType.FALL_DETECTOR: _EVERY_DEVICE | {"fall", "motion"},
    # Watch or pendant: vitals, its own fall detection and SOS key, the "I am fine"
    # press, and step/activity counts reported as ``motion``.
    DeviceType.WEARABLE: _EVERY_DEVICE
    | {"heart_rate", "fall", "sos", "cancel", "checkin", "motion"},
    # Ping An Tong (平安通): the emergency call, its cancel, and the 報平安 press.
    DeviceType.SOS_BUTTON: _EVERY_DEVICE | {"sos", "cancel", "checkin"},
}
