"""ESPHome: DIY sensors on ESP32/ESP8266 boards with ESPHome's ``mqtt:`` component.

Topics (``<node>`` is the node's ``topic_prefix``, by default its name; keep it one topic
level; ``<name>`` is the entity's object id, its name in lower case with ``_``):

* ``<node>/binary_sensor/<name>/state`` — ``ON`` / ``OFF``: a :data:`BINARY` reading of the
  address ``<node>/<name>``. What it means depends on the bound device's type (a door on a
  door sensor, presence on a motion sensor, a press on an SOS button): **the gateway
  resolves it with** ``devices.adapters.base.binary_kind(device_type, reading)``, and drops
  it when that returns None. Every ``ON`` is given out — it may be an SOS press, which no
  edge memory may swallow (ESPHome publishes a binary sensor only when it changes, and
  once on reconnecting, so this costs at most one repeat per reconnection); ``OFF`` only
  when it changes.
* ``<node>/sensor/<name>/state`` — a number as text. The name says the kind: a word
  ``temperature`` / ``temp`` → ``temperature`` (°C), ``humidity`` / ``rh`` → ``humidity``,
  ``power`` / ``watt`` → ``power`` (edge rule), ``heart_rate`` / ``bpm`` → ``heart_rate``.
  ``battery`` and ``wifi_signal`` (dBm) are the node's own: they ride on its next readings
  as ``battery`` / ``rssi``. The board's own temperature (``internal``, ``cpu``, ``esp``,
  ``chip``) and other diagnostics (uptime, energy, voltage …) are not events. Any other name
  is refused (dead letter), so a sensor whose name says nothing is seen and renamed.
* ``<node>/status`` — ``online`` / ``offline`` (birth message and Last Will): the whole
  node's availability. A binary sensor that never changes sends nothing: its liveness is
  the node's Last Will, so register it with a long ``heartbeat_interval_s``.

ESPHome's messages carry no time: the receive time is used.
"""

from __future__ import annotations

from typing import Final

from devices.adapters import edges
from devices.adapters.base import (
    BINARY,
    AdapterSettings,
    Memory,
    Output,
    Reading,
    Refusal,
    Value,
)
from devices.adapters.payloads import (
    GuardedAdapter,
    name_ok,
    node_status,
    number,
    number_text,
    percent,
    text,
)

KIND: Final = "esphome"

# Words of a sensor's name -> the kind it measures.
_KIND_WORDS: Final = (
    (frozenset({"temperature", "temp"}), "temperature"),
    (frozenset({"humidity", "rh"}), "humidity"),
    (frozenset({"heart", "bpm"}), "heart_rate"),
    (frozenset({"power", "watt", "watts"}), "power"),
)
# Words of a sensor's name that make it the board's own diagnostic, not a measure of a home.
_DIAGNOSTIC_WORDS: Final = frozenset(
    {
        "internal", "cpu", "esp", "chip", "core", "uptime", "energy", "total", "daily",
        "voltage", "current", "factor", "apparent", "reactive", "frequency", "illuminance",
        "lux", "pressure", "ip", "version", "ssid", "bssid", "mac", "heap", "loop",
    }
)  # fmt: skip
_BATTERY: Final = frozenset({"battery"})
_WIFI: Final = frozenset({"wifi", "signal", "rssi"})


def adapt(
    topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    """What one ESPHome message means (unguarded; :data:`ADAPTER` guards it)."""
    levels = topic.split("/")
    node = levels[0]
    if not name_ok(node):
        return [Refusal("ESPHome topic prefix is empty or too long")]
    if levels[1:] == ["status"]:
        return node_status(node, payload, "online", "offline", "status")
    if len(levels) != 4 or levels[1] not in ("sensor", "binary_sensor") or levels[3] != "state":
        return [Refusal("not an ESPHome state topic (<node>/<sensor|binary_sensor>/<name>/state)")]
    name = levels[2]
    address = f"{node}/{name}"
    if not name_ok(name):
        return [Refusal("ESPHome entity name is empty or too long", node)]
    raw = text(payload)
    if levels[1] == "binary_sensor":
        return _binary(address, node, raw, memory, now)
    return _sensor(address, raw, memory, now, settings)


def _binary(address: str, node: str, raw: str | None, memory: Memory, now: float) -> list[Output]:
    if raw not in ("ON", "OFF"):
        return [Refusal("binary sensor state is neither ON nor OFF", address)]
    on = raw == "ON"
    if not edges.changed(memory, address, "binary", on) and not on:
        return []
    edges.emitted(memory, address, now)
    return [_reading(address, node, BINARY, on, memory)]


def _sensor(
    address: str, raw: str | None, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    node, _, name = address.partition("/")
    words = frozenset(name.lower().split("_"))
    value = number_text(raw) if raw is not None else None
    if words & _BATTERY:
        memory.put(node, "battery", percent(value))
        return []
    if words & _WIFI:
        memory.put(node, "rssi", value if value is not None and -200 <= value <= 0 else None)
        return []
    if words & _DIAGNOSTIC_WORDS:
        return []
    kind = next((kind for known, kind in _KIND_WORDS if words & known), None)
    if kind is None:
        return [Refusal(f"sensor name {name!r} names no kind Tanfang reads"[:200], address)]
    message = edges.Message(memory, now, settings)
    if kind == "power":
        message.power(address, value, "state")
    else:
        message.measure(address, kind, value, "state")
    if message.refusals:
        return message.refusals
    return message.outputs(
        battery=_node_value(memory, node, "battery"), rssi=_node_value(memory, node, "rssi")
    )


def _reading(address: str, node: str, kind: str, value: Value, memory: Memory) -> Reading:
    return Reading(
        address,
        kind,
        value,
        battery=_node_value(memory, node, "battery"),
        rssi=_node_value(memory, node, "rssi"),
    )


def _node_value(memory: Memory, node: str, key: str) -> float | None:
    return number(memory.get(node, key))


#: The esphome adapter (:class:`devices.adapters.base.Adapter`).
ADAPTER: Final = GuardedAdapter(
    KIND, lambda _: ["+/status", "+/sensor/+/state", "+/binary_sensor/+/state"], adapt
)
