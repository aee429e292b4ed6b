"""The simulated population: households, their elder files, contacts and device kits.

Home ``i`` depends only on the seed and ``i``: the first N homes of a larger world are the
homes of a world of N, and the same seed always gives the same people and device ids.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from devices.kinds import DeviceType
from simulators import names
from simulators.personas import MIX, PERSONAS, Persona

ROOMS: Final = ("bedroom", "living_room", "kitchen", "bathroom", "entrance")

# role → (device type, room, heartbeat interval s, id prefix, mains powered). Devices that
# must raise an alarm report every hour; the others every two hours when otherwise idle.
ROLES: Final[dict[str, tuple[DeviceType, str, int, str, bool]]] = {
    "pir:bedroom": (DeviceType.MOTION_SENSOR, "bedroom", 7200, "pir", False),
    "pir:living_room": (DeviceType.MOTION_SENSOR, "living_room", 7200, "pir", False),
    "pir:kitchen": (DeviceType.MOTION_SENSOR, "kitchen", 7200, "pir", False),
    "pir:bathroom": (DeviceType.MOTION_SENSOR, "bathroom", 7200, "pir", False),
    "pir:entrance": (DeviceType.MOTION_SENSOR, "entrance", 7200, "pir", False),
    "door": (DeviceType.DOOR_SENSOR, "entrance", 7200, "door", False),
    "contact:cupboard": (DeviceType.DOOR_SENSOR, "kitchen", 7200, "contact", False),
    "bed": (DeviceType.BED_SENSOR, "bedroom", 7200, "bed", False),
    "plug:kettle": (DeviceType.POWER_METER, "kitchen", 7200, "plug", True),
    "plug:tv": (DeviceType.POWER_METER, "living_room", 7200, "plug", True),
    "water": (DeviceType.WATER_METER, "kitchen", 7200, "water", False),
    # The contacts kit's meter hears only the toilet, the basin and the shower.
    "water:toilet": (DeviceType.WATER_METER, "bathroom", 7200, "water", False),
    "env": (DeviceType.ENV_SENSOR, "living_room", 7200, "env", False),
    "smoke": (DeviceType.SMOKE_DETECTOR, "kitchen", 3600, "smoke", False),
    "gas": (DeviceType.GAS_DETECTOR, "kitchen", 3600, "gas", True),
    "sos": (DeviceType.SOS_BUTTON, "bedroom", 3600, "pat", False),
    "fall": (DeviceType.FALL_DETECTOR, "bathroom", 3600, "radar", True),
    "wear": (DeviceType.WEARABLE, "bedroom", 3600, "band", False),
}

# Kits: motion sensors everywhere; the same with a bedroom sensor that cannot see the bed
# (mounted over the door, the bed behind a wardrobe); and contacts only, like the real home
# of issue 13 (entrance door, a kitchen cupboard, appliance plugs, the toilet's water meter,
# no motion sensor and no bed mat). Shares of homes; bed-bound elders always get motion.
KIT_MOTION: Final = "motion"
KIT_BLIND_BED: Final = "blind_bed"
KIT_CONTACTS: Final = "contacts"
KITS: Final = ((KIT_MOTION, 0.42), (KIT_BLIND_BED, 0.33), (KIT_CONTACTS, 0.25))

# Battery model kinds (see wire.battery_levels).
BATTERY_NONE: Final = 0
BATTERY_CELL: Final = 1
BATTERY_RECHARGED: Final = 2


@dataclass(slots=True)
class Device:
    index: int
    id: str
    type: DeviceType
    room: str
    role: str
    home: int
    elder_id: str
    heartbeat_interval_s: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": str(self.type),
            "elder_id": self.elder_id,
            "room": self.room,
            "heartbeat_interval_s": self.heartbeat_interval_s,
        }


@dataclass(slots=True)
class Home:
    index: int
    elder_id: str
    persona: Persona
    elder: dict[str, Any]
    contacts: list[dict[str, Any]]
    roles: dict[str, int] = field(default_factory=dict)  # role → global device index
    # Individual variation around the persona, drawn once per elder.
    wake_shift_h: float = 0.0
    sleep_shift_h: float = 0.0
    activity: float = 1.0
    indoor_offset_c: float = 0.0
    kit: str = KIT_MOTION

    @property
    def sees_bed(self) -> bool:
        """Whether the bedroom motion sensor sees the elder turning over in bed."""
        return self.kit == KIT_MOTION

    @property
    def occupants(self) -> int:
        return 2 if self.persona.couple else 1


@dataclass(slots=True)
class World:
    seed: int
    start: datetime
    homes: list[Home]
    devices: list[Device]
    battery_kind: npt.NDArray[np.int8]
    battery_start: npt.NDArray[np.float64]
    battery_per_day: npt.NDArray[np.float64]
    heartbeat_s: npt.NDArray[np.float64]

    def homes_json(
        self,
        absences: dict[str, list[dict[str, Any]]] | None = None,
        watch: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The contract's homes.json, plus the absences declared while it was simulated
        (elder id → ``{"from", "to", "reason"}`` as ``POST /elders/{id}/absences`` takes
        them), the heightened-watch periods declared (``watch_periods``, as ``POST
        /watch-periods`` takes them) and a ``simulation`` block naming each persona."""
        return {
            "elders": [home.elder for home in self.homes],
            "devices": [device.as_json() for device in self.devices],
            "contacts": {home.elder_id: home.contacts for home in self.homes},
            "absences": absences or {},
            "watch_periods": watch or [],
            "simulation": {
                "seed": self.seed,
                "start": self.start.isoformat(),
                "households": [
                    {
                        "elder_id": home.elder_id,
                        "persona": home.persona.key,
                        "occupants": home.occupants,
                        "kit": home.kit,
                    }
                    for home in self.homes
                ],
            },
        }

    def device_ids(self) -> list[str]:
        return [device.id for device in self.devices]


def elder_id(seed: int, index: int) -> str:
    return f"KP-{(seed % 100) * 100_000 + index + 1:06d}"


def device_id(seed: int, index: int, role: str, prefix: str) -> str:
    digest = hashlib.blake2b(f"{seed}/{index}/{role}".encode(), digest_size=5).hexdigest()
    return f"{prefix}-{digest}"


def build_world(households: int, seed: int, start: datetime) -> World:
    """Elders, contacts and device kits of ``households`` homes, stable per seed."""
    homes: list[Home] = []
    devices: list[Device] = []
    battery_kind: list[int] = []
    battery_start: list[float] = []
    battery_per_day: list[float] = []
    keys = [key for key, _ in MIX]
    weights = [weight for _, weight in MIX]
    for index in range(households):
        rng = random.Random(f"tanfang-home:{seed}:{index}")
        persona = PERSONAS[rng.choices(keys, weights)[0]]
        home = _home(rng, seed, index, persona, start.date())
        home.kit = _kit_kind(seed, index, persona)
        for role in _kit(rng, persona, home.kit):
            dtype, room, heartbeat, prefix, mains = ROLES[role]
            device = Device(
                index=len(devices),
                id=device_id(seed, index, role, prefix),
                type=dtype,
                room=room,
                role=role,
                home=index,
                elder_id=home.elder_id,
                heartbeat_interval_s=heartbeat,
            )
            home.roles[role] = device.index
            devices.append(device)
            kind = BATTERY_RECHARGED if role == "wear" else BATTERY_CELL
            battery_kind.append(BATTERY_NONE if mains else kind)
            battery_start.append(rng.uniform(55.0, 100.0))
            battery_per_day.append(rng.uniform(0.01, 0.08))
        homes.append(home)
    return World(
        seed=seed,
        start=start,
        homes=homes,
        devices=devices,
        battery_kind=np.array(battery_kind, dtype=np.int8),
        battery_start=np.array(battery_start, dtype=np.float64),
        battery_per_day=np.array(battery_per_day, dtype=np.float64),
        heartbeat_s=np.array([d.heartbeat_interval_s for d in devices], dtype=np.float64),
    )


def _kit_kind(seed: int, index: int, persona: Persona) -> str:
    """Which kit a home has, from a generator of its own (the rest of the home's draws stay
    as they were for the same seed)."""
    if persona.key == "bed_bound":
        return KIT_MOTION
    rng = random.Random(f"tanfang-kit:{seed}:{index}")
    return rng.choices([k for k, _ in KITS], [w for _, w in KITS])[0]


def _kit(rng: random.Random, persona: Persona, kind: str) -> list[str]:
    kit = ["pir:bedroom", "pir:living_room", "pir:kitchen", "pir:bathroom", "door", "bed"]
    if rng.random() < 0.4:
        kit.append("pir:entrance")
    if kind == KIT_CONTACTS:
        kit = ["door", "contact:cupboard"]
    water = "water:toilet" if kind == KIT_CONTACTS else "water"
    kit += ["plug:kettle", water, "env", "smoke", "sos"]
    if rng.random() < 0.7 or kind == KIT_CONTACTS:
        kit.append("plug:tv")
    if rng.random() < 0.85:
        kit.append("gas")
    if rng.random() < (0.4 if persona.incapacitated or persona.age[0] >= 80 else 0.2):
        kit.append("fall")
    if rng.random() < 0.15 and persona.key != "bed_bound":
        kit.append("wear")
    return kit


def _home(rng: random.Random, seed: int, index: int, persona: Persona, today: date) -> Home:
    eid = elder_id(seed, index)
    gender = "female" if rng.random() < 0.62 else "male"
    surname = rng.choice(names.SURNAMES)
    given = rng.choice(names.GIVEN_FEMALE if gender == "female" else names.GIVEN_MALE)
    age = rng.randint(*persona.age)
    birth = today - timedelta(days=age * 365 + rng.randint(30, 330))
    town = rng.choice(list(names.TOWNS))
    village = rng.choice(names.TOWNS[town])
    low_income = rng.random() < 0.12
    elder: dict[str, Any] = {
        "id": eid,
        "name": surname + given,
        "gender": gender,
        "birth_date": birth.isoformat(),
        "town": town,
        "village": village,
        "address": f"{town}{village}{rng.choice(names.STREETS)}{rng.randint(1, 88)}號",
        "phone": _phone(rng),
        "living_arrangement": persona.living,
        "incapacitated": persona.incapacitated,
        "dementia": persona.dementia,
        "disability_level": persona.disability,
        "low_income": low_income,
        "family_planning_special": rng.random() < 0.04,
        "couple_with_dependent": persona.partner_dependent,
        "cares_for_dependent_child": rng.random() < 0.02,
        "category_override": None,
        "visit_consent": rng.random() > 0.02,
        "inactivity_alert_after_minutes": None,
    }
    if not elder["visit_consent"]:
        elder |= _refusal(seed, index, today)
    home = Home(index=index, elder_id=eid, persona=persona, elder=elder, contacts=[])
    home.contacts = _contacts(rng, surname)
    home.wake_shift_h = rng.gauss(0.0, 0.35)
    home.sleep_shift_h = rng.gauss(0.0, 0.35)
    home.activity = rng.uniform(0.8, 1.2)
    home.indoor_offset_c = rng.uniform(-1.0, 1.5)
    return home


def _refusal(seed: int, index: int, today: date) -> dict[str, Any]:
    """A refusal of visits as the plan records it: a reason and the day it was given.

    Drawn from a generator of its own, so that giving refusals their reason leaves every
    other draw of the home (contacts, routine) as it was for the same seed."""
    rng = random.Random(f"tanfang-refusal:{seed}:{index}")
    return {
        "refusal_reason": rng.choice(names.REFUSAL_REASONS),
        "refusal_date": (today - timedelta(days=rng.randint(3, 400))).isoformat(),
    }


def _contacts(rng: random.Random, surname: str) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = []
    for _ in range(rng.choices((0, 1, 2, 3), (0.1, 0.35, 0.35, 0.2))[0]):
        contacts.append(
            {
                "name": surname + rng.choice(names.GIVEN_YOUNG),
                "phone": _phone(rng),
                "relation": "child",
            }
        )
    if not contacts or rng.random() < 0.3:
        other = rng.choice(names.SURNAMES)
        relation = rng.choice(("relative", "neighbour", "friend"))
        contacts.append(
            {
                "name": other + rng.choice(names.GIVEN_YOUNG),
                "phone": _phone(rng),
                "relation": relation,
            }
        )
    contacts.append(
        {
            "name": rng.choice(names.SURNAMES) + rng.choice(names.GIVEN_YOUNG),
            "phone": _phone(rng),
            "relation": "village_staff",
        }
    )
    return contacts


def _phone(rng: random.Random) -> str:
    return rng.choice(names.PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
