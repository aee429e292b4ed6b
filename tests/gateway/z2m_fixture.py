"""A small zigbee2mqtt-shaped adapter for the binding tests, until the real one
(``devices.adapters.zigbee2mqtt``, branch ``adapters``) is merged: ``z2m_adapter()`` gives
the installed adapter of kind ``zigbee2mqtt`` when there is one, so the same tests then run
against the real adapter.

Topics under the base topic: ``<friendly name>`` (JSON state), ``<friendly name>/
availability`` (``online``/``offline`` or ``{"state": …}``), ``bridge/devices`` (the retained
device list: ``ieee_address`` ↔ ``friendly_name`` aliases). Only the fields the tests use.
"""

from __future__ import annotations

from typing import Final

import orjson

from devices.adapters.base import (
    Adapter,
    AdapterSettings,
    Alias,
    Availability,
    Memory,
    Output,
    Reading,
    Refusal,
)
from devices.adapters.registry import ADAPTERS

KIND: Final = "zigbee2mqtt"


class FixtureZigbee2Mqtt:
    kind = KIND

    def filters(self, settings: AdapterSettings) -> list[str]:
        base = settings.zigbee2mqtt_base_topic
        return [f"{base}/+", f"{base}/+/availability", f"{base}/bridge/devices"]

    def adapt(
        self, topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
    ) -> list[Output]:
        rest = topic.removeprefix(settings.zigbee2mqtt_base_topic + "/")
        if rest == "bridge/devices":
            return _aliases(payload)
        if rest.endswith("/availability"):
            return _availability(rest.removesuffix("/availability"), payload)
        try:
            state = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return [Refusal("not JSON", rest)]
        if not isinstance(state, dict):
            return [Refusal("not a JSON object", rest)]
        return _readings(rest, state, memory)


def _aliases(payload: bytes) -> list[Output]:
    try:
        devices = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return [Refusal("bridge/devices: not JSON")]
    return [
        Alias(d["ieee_address"], d["friendly_name"])
        for d in devices
        if isinstance(d, dict) and "ieee_address" in d and "friendly_name" in d
    ]


def _availability(name: str, payload: bytes) -> list[Output]:
    text = payload.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        text = str(orjson.loads(text).get("state"))
    if text not in {"online", "offline"}:
        return [Refusal("availability: not online/offline", name)]
    return [Availability(name, text == "online")]


_FIELDS: Final = {"contact": "door", "occupancy": "motion", "water_leak": "leak", "smoke": "smoke"}


def _readings(name: str, state: dict[str, object], memory: Memory) -> list[Output]:
    battery = state.get("battery")
    charge = float(battery) if isinstance(battery, int | float) else None
    out: list[Output] = []
    for key, kind in _FIELDS.items():
        if key in state and memory.changed(name, key, state[key]):
            on = bool(state[key])
            if key == "contact":
                out.append(Reading(name, kind, 0 if on else 1, battery=charge))  # false: open
            elif on or key != "occupancy":  # occupancy has only its "on" edge
                out.append(Reading(name, kind, 1 if on else 0, battery=charge))
    return out


def z2m_adapter() -> Adapter:
    """The installed zigbee2mqtt adapter, or this fixture while it is not merged."""
    return ADAPTERS.get(KIND) or FixtureZigbee2Mqtt()
