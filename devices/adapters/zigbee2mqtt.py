"""zigbee2mqtt: Zigbee sensors and buttons through the zigbee2mqtt bridge.

Topics (``{base}`` is ``TANFANG_ZIGBEE2MQTT_BASE_TOPIC``, default ``zigbee2mqtt``; one
subscription, ``{base}/#``, so friendly names holding ``/`` work):

* ``{base}/<friendly_name>`` — the device's state as a JSON object (``output: json``);
* ``{base}/<friendly_name>/availability`` — ``{"state": "online"}`` (zigbee2mqtt 2.x) or the
  legacy plain ``online`` / ``offline``; retained;
* ``{base}/bridge/devices`` — retained list of every device: each ``ieee_address`` with its
  ``friendly_name`` becomes an :class:`Alias`, so a device bound by either name is found.

One bridge per home on a town's broker: each home's zigbee2mqtt has a base topic of its own
under ``{base}`` (``zigbee2mqtt/flat12``); its devices' addresses are then
``flat12/<friendly_name>`` (or their IEEE addresses), and ``{base}/flat12/bridge/devices``
gives the aliases of those scoped names. No topic level of a friendly name may be
``bridge``.

Ignored without a dead letter (they are not device data): the bridge's other topics
(``bridge/state``, ``bridge/logging``, ``bridge/response/…`` …) and commands to devices
(``…/set``, ``…/get`` and their ``/<attribute>`` forms).

Readings carry the friendly name of the topic as their address; the gateway resolves it to
the IEEE address through the aliases. The field mapping (docs/devices.md has the table):

==================  ==========================================================
``occupancy``       ``motion`` on false → true, then once per motion_refresh_s
``presence``        same (mmWave radars)
``contact``         ``door`` 1 (open, ``contact: false``) / 0, on change
``water_leak``      ``leak`` 1 / 0, on change
``smoke``, ``gas``  ``smoke`` / ``gas`` 1 / 0, on change
``tamper``          ``tamper`` 1 / 0, on change
``fall``            ``fall`` on false → true (also ``fall_down_status: "fall"``)
``temperature``     ``temperature`` °C, on a 0.5 °C step or every 30 min
``humidity``        ``humidity`` %, on a 3-point step or every 30 min
``action``          ``sos`` / ``checkin`` per press, never deduplicated (below)
``battery``         the ``battery`` of every event of the message
``linkquality``     ``extra.linkquality`` (LQI 0–255 is not dBm: never ``rssi``)
``last_seen``       the events' ``ts`` (ISO 8601 with offset, or epoch ms)
==================  ==========================================================

A report that changes nothing still gives one ``heartbeat`` per
``edges.HEARTBEAT_EVERY_S``, so a door never opened is not taken for a dead sensor.

Button actions: a press is an event, not a state — each message holding one is stored.
``emergency``, ``sos`` and ``panic`` are ``sos``; so is a held press (``hold``,
``long``…), the gesture of a call for help on a generic button. Any other press
(``single``, ``double``, ``click``…) is a ``checkin`` — except on a device that
``bridge/devices`` describes as an emergency button (its description says SOS, emergency or
panic, or its action values include ``emergency`` or ``sos``): there *every* press is
``sos`` (a Heiman HS1EB reports its emergency press as ``single``). ``release`` (and
``…_release``) and ``off`` say nothing; an action that is no press (a dimmer's
``brightness_move_up``) is refused; no action is mapped to ``cancel`` (a stray gesture
must not close an SOS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from devices.adapters import edges
from devices.adapters.base import (
    AdapterSettings,
    Alias,
    Availability,
    Memory,
    Output,
    Refusal,
)
from devices.adapters.payloads import (
    MAX_NAME_CHARS,
    GuardedAdapter,
    epoch,
    flag,
    load_json,
    load_object,
    name_ok,
    number,
    percent,
    text,
)

KIND: Final = "zigbee2mqtt"

# Words of an action (split on "_") that are a call for help.
_SOS_WORDS: Final = frozenset({"emergency", "sos", "panic", "hold", "long"})
# Words of an action that are a deliberate press ("I am fine", or help on an SOS button).
_PRESS_WORDS: Final = frozenset(
    {"single", "double", "triple", "quadruple", "many", "click", "press", "short", "on", "toggle"}
)
# Actions that follow a press and say nothing of their own.
_SILENT_ACTIONS: Final = frozenset({"", "release", "off"})
# What marks an emergency button in its bridge/devices definition.
_EMERGENCY_WORDS: Final = ("sos", "emergency", "panic")
# Memory key: the device is an emergency button (from bridge/devices).
_EMERGENCY: Final = "emergency_button"
# The bridge's command topics to a device: not device data.
_COMMANDS: Final = frozenset({"set", "get"})

# (field, kind) of the two-state fields stored on change as 1 / 0.
_FLAGS: Final = (("water_leak", "leak"), ("smoke", "smoke"), ("gas", "gas"), ("tamper", "tamper"))


def adapt(
    topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    """What one zigbee2mqtt message means (unguarded; :data:`ADAPTER` guards it)."""
    base = _base(settings) + "/"
    if not topic.startswith(base):
        return [Refusal(f"topic is not under the zigbee2mqtt base topic {base!r}")]
    rest = topic[len(base) :]
    levels = rest.split("/")
    if "bridge" in levels:
        # One home's bridge under a base topic of its own (``zigbee2mqtt/flat12``): its
        # devices' names are scoped by that home's part of the topic.
        at = levels.index("bridge")
        if levels[at + 1 :] == ["devices"]:
            return _aliases(payload, memory, "/".join(levels[:at]))
        return []
    if len(levels) > 1 and (levels[-1] in _COMMANDS or levels[-2] in _COMMANDS):
        return []
    if len(levels) > 1 and levels[-1] == "availability":
        return _availability(rest.removesuffix("/availability"), payload)
    if not name_ok(rest):
        return [Refusal(f"friendly name is empty or over {MAX_NAME_CHARS} characters")]
    doc = load_object(payload, "zigbee2mqtt device state")
    if isinstance(doc, Refusal):
        return [Refusal(doc.reason, rest)]
    return _device(rest, doc, memory, now, settings)


def _base(settings: AdapterSettings) -> str:
    return settings.zigbee2mqtt_base_topic.rstrip("/")


def _availability(name: str, payload: bytes) -> list[Output]:
    raw = text(payload)
    state: object = raw
    if raw is not None and raw.startswith("{"):
        doc = load_object(payload, "zigbee2mqtt availability")
        state = doc.get("state") if isinstance(doc, dict) else None
    if state == "online":
        return [Availability(name, online=True)]
    if state == "offline":
        return [Availability(name, online=False)]
    return [Refusal("availability is neither online nor offline", name)]


def _aliases(payload: bytes, memory: Memory, scope: str) -> list[Output]:
    doc = load_json(payload, "zigbee2mqtt bridge/devices")
    if isinstance(doc, Refusal):
        return [doc]
    if not isinstance(doc, list):
        return [Refusal("zigbee2mqtt bridge/devices: expected a JSON array")]
    out: list[Output] = []
    unusable = 0
    for entry in doc:
        if not isinstance(entry, dict):
            unusable += 1
            continue
        ieee, name = entry.get("ieee_address"), entry.get("friendly_name")
        if entry.get("type") == "Coordinator":
            continue
        if not (isinstance(ieee, str) and isinstance(name, str) and name_ok(ieee)):
            unusable += 1
            continue
        if scope:
            name = f"{scope}/{name}"
        if not name_ok(name):
            unusable += 1
            continue
        memory.put(name, _EMERGENCY, _is_emergency_button(entry.get("definition")))
        out.append(Alias(ieee, name))
    if unusable:
        out.append(
            Refusal(
                f"zigbee2mqtt bridge/devices: {unusable} entries without a usable "
                "ieee_address and friendly_name"
            )
        )
    return out


def _is_emergency_button(definition: object) -> bool:
    """Whether a bridge/devices definition describes a dedicated emergency button."""
    if not isinstance(definition, dict):
        return False
    description = definition.get("description")
    if isinstance(description, str) and any(
        word in description.lower() for word in _EMERGENCY_WORDS
    ):
        return True
    exposes = definition.get("exposes")
    if not isinstance(exposes, list):
        return False
    for expose in exposes:
        if isinstance(expose, dict) and expose.get("property") == "action":
            values = expose.get("values")
            if isinstance(values, list) and {"emergency", "sos"} & {
                v for v in values if isinstance(v, str)
            }:
                return True
    return False


def _device(
    name: str, doc: Mapping[str, object], memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    message = edges.Message(memory, now, settings)
    message.touch(name)
    for field in ("occupancy", "presence"):
        on = flag(doc.get(field))
        if on is not None:
            message.motion(name, field, on)
    contact = flag(doc.get("contact"))
    if contact is not None and edges.changed(memory, name, "contact", contact):
        message.add(name, "door", 0 if contact else 1)
    for field, kind in _FLAGS:
        on = flag(doc.get(field))
        if on is not None and edges.changed(memory, name, field, on):
            message.add(name, kind, 1 if on else 0)
    fallen = _fallen(doc)
    if fallen is not None and edges.changed(memory, name, "fall", fallen) and fallen:
        message.add(name, "fall", 1)
    for field in ("temperature", "humidity"):
        if field in doc:
            message.measure(name, field, number(doc[field]), field)
    if "action" in doc:
        action = _action_kind(doc["action"], memory.get(name, _EMERGENCY) is True)
        if isinstance(action, Refusal):
            message.refuse(action.reason, name)
        elif action is not None:
            message.add(name, action, None)
    lqi = number(doc.get("linkquality"))
    return message.outputs(
        ts=epoch(doc.get("last_seen")),
        battery=percent(doc.get("battery")),
        extra=None if lqi is None else {"linkquality": round(lqi)},
    )


def _fallen(doc: Mapping[str, object]) -> bool | None:
    fall = flag(doc.get("fall"))
    if fall is not None:
        return fall
    status = doc.get("fall_down_status")
    # Tuya fall radars: "none", "maybe_fall", then "fall" once confirmed.
    return status == "fall" if isinstance(status, str) else None


def _action_kind(action: object, emergency_button: bool) -> str | Refusal | None:
    """``sos`` or ``checkin`` for a press; None for what says nothing; a Refusal for an
    action that is no press Tanfang knows."""
    if action is None:
        return None
    if not isinstance(action, str):
        return Refusal(f"action {action!r} is not a string"[:200])
    if action.lower() in _SILENT_ACTIONS:
        return None
    words = set(action.lower().replace("-", "_").split("_"))
    if "release" in words:  # the end of a press already counted (``long_release``)
        return None
    if words & _SOS_WORDS:
        return "sos"
    if words & _PRESS_WORDS:
        return "sos" if emergency_button else "checkin"
    return Refusal(f"button action {action!r} is no press Tanfang maps"[:200])


#: The zigbee2mqtt adapter (:class:`devices.adapters.base.Adapter`).
ADAPTER: Final = GuardedAdapter(KIND, lambda settings: [f"{_base(settings)}/#"], adapt)
