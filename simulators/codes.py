"""Numeric codes of what a simulated message is, for the columnar event arrays."""

from __future__ import annotations

from typing import Final

from devices.kinds import KINDS

KIND_NAMES: Final = tuple(KINDS)
CODE: Final = {name: index for index, name in enumerate(KIND_NAMES)}
MOTION: Final = CODE["motion"]
DOOR: Final = CODE["door"]
BED: Final = CODE["bed"]
POWER: Final = CODE["power"]
WATER: Final = CODE["water"]
TEMPERATURE: Final = CODE["temperature"]
HUMIDITY: Final = CODE["humidity"]
SMOKE: Final = CODE["smoke"]
GAS: Final = CODE["gas"]
FALL: Final = CODE["fall"]
HEART_RATE: Final = CODE["heart_rate"]
SOS: Final = CODE["sos"]
CANCEL: Final = CODE["cancel"]
CHECKIN: Final = CODE["checkin"]
HEARTBEAT: Final = CODE["heartbeat"]
# Not events: messages on the status topic, and malformed payloads.
ONLINE: Final = 100
OFFLINE: Final = 101
RAW: Final = 102
