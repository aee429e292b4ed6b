"""Shelly Gen2+ (Plus, Pro, Gen3, Gen4): plugs, relays and H&T sensors over MQTT.

Topics (``<id>`` is the device's MQTT topic prefix, by default its id such as
``shellyplusplugs-e86bea0f1c2d``; keep it one topic level):

* ``<id>/status/<component>`` — with "Generic status update over MQTT" on: the component's
  full status. ``switch:N`` / ``pm1:N``: ``apower`` (W) becomes ``power`` by the edge rule
  (``TANFANG_ADAPTER_POWER_ON_W`` crossed, or a change by more than
  ``TANFANG_ADAPTER_POWER_CHANGE_SHARE``); ``temperature:N`` (``tC``) and ``humidity:N``
  (``rh``) of an H&T become ``temperature`` / ``humidity`` on a step or every 30 minutes;
  ``devicepower:N`` gives the ``battery`` (``battery.percent``).
* ``<id>/events/rpc`` — with "RPC status notifications" on: ``NotifyStatus`` (the changed
  fields) and ``NotifyFullStatus`` carry the same components under ``params``, with the
  device's time ``params.ts`` (epoch seconds) used as the events' ``ts``. Both kinds of
  message may be on at once: the edge rules make the second copy of a change no news.
* ``<id>/online`` — retained ``true`` / ``false`` (the device's Last Will): the whole
  node's availability.

Address: ``<id>`` for component index 0, ``<id>/<component>`` for N > 0 (the second relay
of a Shelly Plus 2PM is ``<id>/switch:1``). A switch's ``temperature`` is the relay's own
heat, not the room's: it is not a ``temperature`` event. ``output`` (the relay state) is not
the appliance's use and is not an event either; the watts are.
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
    percent,
)

KIND: Final = "shelly"

# Component types whose ``apower`` is an appliance's draw.
_METERED: Final = frozenset({"switch", "pm1"})
_NOTIFY: Final = frozenset({"NotifyStatus", "NotifyFullStatus"})
# Most components one status message carries (NotifyFullStatus of a Pro 4PM has ~20).
_MAX_COMPONENTS: Final = 64


def adapt(
    topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    """What one Shelly message means (unguarded; :data:`ADAPTER` guards it)."""
    levels = topic.split("/")
    device = levels[0]
    if not name_ok(device):
        return [Refusal("Shelly topic prefix is empty or too long")]
    if levels[1:] == ["online"]:
        return node_status(device, payload, "true", "false", "online")
    if len(levels) == 3 and levels[1] == "status":
        doc = load_object(payload, f"Shelly status of {levels[2]}"[:100])
        if isinstance(doc, Refusal):
            return [Refusal(doc.reason, device)]
        return _components(
            device, {levels[2]: doc}, ts=None, memory=memory, now=now, settings=settings
        )
    if levels[1:] == ["events", "rpc"]:
        return _rpc(device, payload, memory, now, settings)
    return [Refusal("not a Shelly topic (<id>/online, <id>/status/…, <id>/events/rpc)")]


def _rpc(
    device: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
) -> list[Output]:
    doc = load_object(payload, "Shelly events/rpc")
    if isinstance(doc, Refusal):
        return [Refusal(doc.reason, device)]
    method = doc.get("method")
    if not isinstance(method, str) or method not in _NOTIFY:
        return []  # NotifyEvent (button pushes, wake-ups …): no status in it
    params = doc.get("params")
    if not isinstance(params, dict):
        return [Refusal("Shelly notification without params", device)]
    statuses = {key: value for key, value in params.items() if ":" in key}
    ts = epoch(params.get("ts"))
    return _components(device, statuses, ts=ts, memory=memory, now=now, settings=settings)


def _components(
    device: str,
    statuses: Mapping[str, object],
    *,
    ts: float | None,
    memory: Memory,
    now: float,
    settings: AdapterSettings,
) -> list[Output]:
    if len(statuses) > _MAX_COMPONENTS:
        return [Refusal(f"over {_MAX_COMPONENTS} components in one message", device)]
    message = edges.Message(memory, now, settings)
    battery: float | None = None
    for component, status in statuses.items():
        kind, _, index = component.partition(":")
        if not (index.isdigit() and len(index) < 4 and isinstance(status, dict)):
            continue
        address = device if int(index) == 0 else f"{device}/{component}"
        if kind in _METERED:
            message.touch(address)
            if "apower" in status:  # else a relay without a meter, or another field's news
                watts = number(status["apower"])
                # A meter wired the other way round reports the draw as negative.
                message.power(address, None if watts is None else abs(watts), "apower")
        elif kind == "temperature":
            message.measure(address, kind, number(status.get("tC")), "tC")
        elif kind == "humidity":
            message.measure(address, kind, number(status.get("rh")), "rh")
        elif kind == "devicepower":
            source = status.get("battery")
            battery = percent(source.get("percent")) if isinstance(source, dict) else None
            message.touch(device)
    return message.outputs(ts=ts, battery=battery)


#: The shelly adapter (:class:`devices.adapters.base.Adapter`).
ADAPTER: Final = GuardedAdapter(KIND, lambda _: ["+/online", "+/status/+", "+/events/rpc"], adapt)
