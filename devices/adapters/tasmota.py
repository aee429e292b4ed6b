"""Tasmota: smart plugs and sensors running Tasmota firmware.

Topics (Tasmota's default FullTopic ``%prefix%/%topic%/``; the address is ``%topic%``):

* ``tele/<topic>/SENSOR`` — every TelePeriod, and at once on a ``PowerDelta`` change:
  ``ENERGY.Power`` (W; a list on multi-channel devices) becomes ``power`` by the edge rule
  (``TANFANG_ADAPTER_POWER_ON_W`` crossed, or a change by more than
  ``TANFANG_ADAPTER_POWER_CHANGE_SHARE``). Channel 1 is the address ``<topic>``, channel n
  ``<topic>/<n>``. A climate sensor's object (``AM2301``, ``SI7021``, ``BME280``,
  ``DS18B20``, ``DS18B20-2`` …) with ``Temperature`` / ``Humidity`` becomes
  ``temperature`` (°C; converted when ``TempUnit`` is ``F``) / ``humidity`` at the address
  ``<topic>/<sensor>`` (e.g. ``th16-bedroom/AM2301``), on a step or every 30 minutes.
* ``tele/<topic>/LWT`` — retained ``Online`` / ``Offline``: the whole node's availability.
* ``tele/<topic>/STATE`` — every TelePeriod: a ``heartbeat`` of ``<topic>`` (when one is
  due) with ``rssi`` from ``Wifi.Signal`` (dBm). ``Wifi.RSSI`` is Tasmota's 0–100 % link
  quality, not dBm, so it is not used.

``stat/<topic>/POWER`` (the relay's ``ON``/``OFF``) is not subscribed and means nothing if
it arrives: a relay switched by a timer or an app is not a person using the appliance; the
watts are. ``Time`` in Tasmota's messages is local time without an offset unless
``SetOption52 1`` is set: only a time with an offset is used as the events' ``ts``; without
one the gateway's receive time is (a clock of unknown zone is worse than none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from devices.adapters import edges
from devices.adapters.base import AdapterSettings, Memory, Output, Refusal
from devices.adapters.payloads import (
    GuardedAdapter,
    epoch,
    load_object,
    name_ok,
    node_status,
    number,
)

KIND: Final = "tasmota"

#: The largest multi-channel meter (Tasmota drives up to 8 relays / energy channels).
MAX_CHANNELS: Final = 8


def adapt(
    topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    """What one Tasmota message means (unguarded; :data:`ADAPTER` guards it)."""
    levels = topic.split("/")
    if len(levels) != 3 or levels[0] not in ("tele", "stat"):
        return [Refusal("not a Tasmota topic (tele/<topic>/<message>)")]
    prefix, device, message = levels
    if not name_ok(device):
        return [Refusal("Tasmota topic name is empty or too long")]
    if prefix == "stat":
        return []
    if message == "LWT":
        return node_status(device, payload, "online", "offline", "LWT")
    if message not in ("SENSOR", "STATE"):
        return []  # INFO1…3, RESULT, MARGINS …: not data Tanfang reads
    doc = load_object(payload, f"Tasmota {message}")
    if isinstance(doc, Refusal):
        return [Refusal(doc.reason, device)]
    if message == "STATE":
        return _state(device, doc, memory, now, settings)
    return _sensor(device, doc, memory, now, settings)


def _state(
    device: str, doc: Mapping[str, object], memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    wifi = doc.get("Wifi")
    signal = number(wifi.get("Signal")) if isinstance(wifi, dict) else None
    message = edges.Message(memory, now, settings)
    message.touch(device)
    rssi = signal if signal is not None and -200.0 <= signal <= 0.0 else None
    return message.outputs(ts=epoch(doc.get("Time")), rssi=rssi)


def _sensor(
    device: str, doc: Mapping[str, object], memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    message = edges.Message(memory, now, settings)
    energy = doc.get("ENERGY")
    if isinstance(energy, dict) and "Power" in energy:
        _power(message, device, energy["Power"])
    fahrenheit = doc.get("TempUnit") == "F"
    for name, sensor in doc.items():
        if name == "ENERGY" or not isinstance(sensor, dict) or not name_ok(name):
            continue
        address = f"{device}/{name}"
        if "Temperature" in sensor:
            celsius = number(sensor["Temperature"])
            if celsius is not None and fahrenheit:
                celsius = round((celsius - 32.0) * 5.0 / 9.0, 2)
            message.measure(address, "temperature", celsius, f"{name}.Temperature")
        if "Humidity" in sensor:
            message.measure(address, "humidity", number(sensor["Humidity"]), f"{name}.Humidity")
    return message.outputs(ts=epoch(doc.get("Time")))


def _power(message: edges.Message, device: str, raw: object) -> None:
    channels = raw if isinstance(raw, list) else [raw]
    if len(channels) > MAX_CHANNELS:
        message.refuse(f"ENERGY.Power has over {MAX_CHANNELS} channels", device)
        return
    for index, item in enumerate(channels):
        address = device if index == 0 else f"{device}/{index + 1}"
        message.power(address, number(item), "ENERGY.Power")


#: The tasmota adapter (:class:`devices.adapters.base.Adapter`).
ADAPTER: Final = GuardedAdapter(
    KIND, lambda _: ["tele/+/SENSOR", "tele/+/LWT", "tele/+/STATE"], adapt
)
