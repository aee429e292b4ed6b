"""Households, elder files and device kits: complete, valid on the wire, stable per seed."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from devices.kinds import DeviceType
from devices.schema import DEVICE_ID_RE
from simulators.clock import parse_duration
from simulators.generator import band_level
from simulators.names import TOWNS
from simulators.world import KIT_BLIND_BED, KIT_CONTACTS, KIT_MOTION, build_world
from tests.simulators.helpers import START


def test_same_seed_gives_the_same_people_and_device_ids() -> None:
    a, b = build_world(30, 7, START), build_world(30, 7, START)
    assert json.dumps(a.homes_json()) == json.dumps(b.homes_json())
    assert (
        build_world(5, 7, START).device_ids()
        == a.device_ids()[: len(build_world(5, 7, START).devices)]
    )
    assert build_world(30, 8, START).device_ids() != a.device_ids()


def test_homes_json_has_the_contract_shape_and_valid_ids() -> None:
    doc = build_world(50, 3, START).homes_json()
    elders = {e["id"]: e for e in doc["elders"]}
    assert len(elders) == 50
    assert set(doc["contacts"]) == set(elders)
    for elder in elders.values():
        assert elder["town"] in TOWNS
        assert elder["village"] in TOWNS[elder["town"]]
        assert elder["living_arrangement"] in ("alone", "empty_nest", "left_behind", "with_family")
        assert elder["disability_level"] in ("none", "mild", "severe")
    ids = [d["id"] for d in doc["devices"]]
    assert len(ids) == len(set(ids))
    for device in doc["devices"]:
        assert DEVICE_ID_RE.fullmatch(device["id"])
        assert device["elder_id"] in elders
        assert DeviceType(device["type"])
        assert set(device) == {"id", "type", "elder_id", "room", "heartbeat_interval_s"}
    for contacts in doc["contacts"].values():
        assert contacts[-1]["relation"] == "village_staff"
        assert all(c["phone"].isdigit() and len(c["phone"]) == 11 for c in contacts)


def test_every_home_has_the_core_kit_and_some_have_fall_radars_or_wearables() -> None:
    world = build_world(200, 5, START)
    types = {d.type for d in world.devices}
    assert types == set(DeviceType)
    for home in world.homes:
        assert {"door", "plug:kettle", "sos", "env", "smoke"} <= set(home.roles)
        pirs = {role for role in home.roles if role.startswith("pir:")}
        if home.kit == KIT_CONTACTS:  # like the real home: no motion sensor, no bed mat
            assert not pirs
            assert "bed" not in home.roles
            assert {"contact:cupboard", "plug:tv", "water:toilet"} <= set(home.roles)
            assert "water" not in home.roles  # the toilet's meter, not the kitchen's
            assert world.devices[home.roles["water:toilet"]].room == "bathroom"
        else:
            assert {"pir:bedroom", "pir:bathroom", "bed", "water"} <= set(home.roles)
    kits = Counter(home.kit for home in world.homes)
    assert 30 <= kits[KIT_CONTACTS] <= 70
    assert 45 <= kits[KIT_BLIND_BED] <= 90
    assert all(home.kit == KIT_MOTION for home in world.homes if home.persona.key == "bed_bound")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20), ("5m", 300), ("2h", 7200), ("7d", 604800), ("90", 90), ("1.5h", 5400)],
)
def test_durations_accept_units_and_plain_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_duration_without_a_known_unit_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_duration("3 weeks")


def test_a_wearable_is_charged_overnight_and_never_reads_low() -> None:
    """Off the charger at 07:00, down by day, back on at 21:00 and full by the morning: a
    band charged every night is no ``battery_low`` (the gateway's opens below 15 %)."""
    midnight = START.timestamp()  # local midnight, UTC+8
    hours = np.arange(0.0, 48.0, 0.25)
    level = band_level(midnight + hours * 3600)
    assert level.min() >= 45
    at = dict(zip(hours.tolist(), level.tolist(), strict=True))
    assert at[7.0] == 100
    assert at[8.0] > at[12.0] > at[20.0]  # worn: drains
    assert at[22.0] < at[2.0] < at[6.0]  # on the charger
    assert at[31.0] == 100  # the next morning
