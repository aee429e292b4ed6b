"""What the detectors know of the fleet that does not change with events: which device
belongs to which elder's slot, in which room, of which kind of evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.device_ids import DeviceIds

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One registered device as the detectors need it (contract §2 device fields)."""

    device_id: str
    elder_id: str | None
    type: str
    room: str | None
    heartbeat_interval_s: float


@dataclass(frozen=True, slots=True)
class Homes:
    """Slot ``i`` = elder ``elder_ids[i]``; device ``j`` = ``device_ids.name(j)``.

    ``device_slot``: the device's elder slot (-1: assigned to no elder); ``device_room``:
    room code; ``activity``: the device reports what a person does; ``entrance_door``: the
    home's entrance door contact (its events say someone came or went, not who is home);
    ``monitored``: the elder has at least one activity device (else "not monitored", never
    inactive); ``bathroom_motion``: a motion sensor watches the bathroom;
    ``bedroom_sensor``: an activity device in the bedroom (motion, bed mat) tells going
    back to bed from getting up."""

    elder_ids: tuple[str, ...]
    device_ids: DeviceIds
    device_slot: Ints
    device_room: Ints
    device_interval_s: Floats
    activity: Bools
    entrance_door: Bools
    env_sensor: Bools
    monitored: Bools
    bathroom_motion: Bools
    bedroom_sensor: Bools

    @property
    def n(self) -> int:
        return len(self.elder_ids)


def build_homes(elder_ids: Iterable[str], devices: Iterable[DeviceInfo]) -> Homes:
    elders = tuple(elder_ids)
    slot_of: Mapping[str, int] = {e: i for i, e in enumerate(elders)}
    devs = list(devices)
    slot = np.array([slot_of.get(d.elder_id or "", -1) for d in devs], dtype=np.intp)
    room = np.array([codes.room_code(d.room) for d in devs], dtype=np.intp)
    activity = np.array([d.type in codes.ACTIVITY_DEVICE_TYPES for d in devs], dtype=bool)
    door = np.array([d.type == "door_sensor" and d.room == "entrance" for d in devs], dtype=bool)
    motion = np.array([d.type == "motion_sensor" for d in devs], dtype=bool)
    env = np.array([d.type == "env_sensor" for d in devs], dtype=bool)
    n = len(elders)
    mine = slot >= 0
    monitored = np.bincount(slot[mine & activity], minlength=n) > 0
    bath = np.bincount(slot[mine & motion & (room == codes.BATHROOM)], minlength=n) > 0
    bedroom = np.bincount(slot[mine & activity & (room == codes.BEDROOM)], minlength=n) > 0
    return Homes(
        elder_ids=elders,
        device_ids=DeviceIds(d.device_id for d in devs),
        device_slot=slot,
        device_room=room,
        device_interval_s=np.array([d.heartbeat_interval_s for d in devs], dtype=np.float64),
        activity=activity,
        entrance_door=door,
        env_sensor=env,
        monitored=monitored,
        bathroom_motion=bath,
        bedroom_sensor=bedroom,
    )
