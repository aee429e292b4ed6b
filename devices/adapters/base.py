"""What an adapter gives back: plain data, no I/O.

An adapter turns one foreign message into a list of outputs:

* :class:`Reading` — one contract event (kind, value, …) for a foreign ``address``;
* :class:`Availability` — the source says a device (or a whole node) is online/offline;
* :class:`Alias` — a second name of one device (a zigbee2mqtt friendly name of an IEEE
  address), so a device bound by either name is found;
* :class:`Refusal` — the message (or a part of it) cannot be used, and why: it becomes a
  dead letter with that reason.

An empty list means "nothing to store" (e.g. a repeated state: levels become edges through
:class:`Memory`). Addresses are the source's own ids, as a device's ``source.address``
names them (CONTRACT §2, Devices).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: A contract event's value: a number or a boolean, or none (sos, checkin, heartbeat).
Value = float | int | bool | None

#: The kind of a two-state reading whose meaning only the bound device's type gives (an
#: ESPHome ``binary_sensor`` is a door on a door sensor, presence on a motion sensor): the
#: gateway resolves it with :func:`binary_kind` once it knows the device.
BINARY = "binary"

# device type -> the kind its two-state reading stands for
_BINARY_KINDS: Mapping[str, str] = {
    "motion_sensor": "motion",
    "door_sensor": "door",
    "bed_sensor": "bed",
    "smoke_detector": "smoke",
    "gas_detector": "gas",
    "fall_detector": "fall",
    "sos_button": "sos",
    "wearable": "fall",
}
# kinds that only have an "on" edge (CONTRACT §1: motion 1, fall 1, sos): "off" is nothing
_ON_ONLY = frozenset({"motion", "fall", "sos"})


def binary_kind(device_type: str, reading: Reading) -> Reading | None:
    """The :data:`BINARY` ``reading`` as the event of a device of ``device_type``; None
    when it means nothing for that type (an "off" of a motion sensor, an unknown type)."""
    kind = _BINARY_KINDS.get(device_type)
    if kind is None or reading.kind != BINARY:
        return None
    on = bool(reading.value)
    if kind in _ON_ONLY:
        if not on:
            return None
        value: Value = None if kind == "sos" else 1
    else:
        value = 1 if on else 0
    return Reading(
        reading.address,
        kind,
        value,
        reading.ts,
        reading.battery,
        reading.rssi,
        reading.message_id,
        reading.extra,
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """One contract event of the foreign device ``address``.

    ``ts`` is epoch seconds when the source said when it happened (else the receive time is
    used); ``message_id`` is the source's own id of the message where it has one (vendor
    platforms over HTTP), so a retried delivery is stored once.
    """

    address: str
    kind: str
    value: Value = None
    ts: float | None = None
    battery: float | None = None
    rssi: float | None = None
    message_id: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def event(self) -> dict[str, object]:
        """The contract event object (CONTRACT §1) this reading stands for."""
        event: dict[str, object] = {"kind": self.kind}
        if self.value is not None:
            event["value"] = self.value
        if self.ts is not None:
            event["ts"] = self.ts
        if self.battery is not None:
            event["battery"] = self.battery
        if self.rssi is not None:
            event["rssi"] = self.rssi
        for key, item in self.extra.items():
            event.setdefault(key, item)
        return event


@dataclass(frozen=True, slots=True)
class Availability:
    """The source reports ``address`` online or offline.

    ``whole_node``: the report covers every address of that node too (``address/…``), as an
    ESPHome node's or a Shelly device's status covers each of its sensors or channels.
    """

    address: str
    online: bool
    whole_node: bool = False


@dataclass(frozen=True, slots=True)
class Alias:
    """``name`` is another name of the device whose canonical address is ``address``."""

    address: str
    name: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing usable: kept as a dead letter with ``reason`` (and ``address`` when known)."""

    reason: str
    address: str | None = None


Output = Reading | Availability | Alias | Refusal


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """The settings adapters read (``TANFANG_*``, see docs/devices.md)."""

    zigbee2mqtt_base_topic: str = "zigbee2mqtt"
    #: a plug's power becomes a ``power`` event when it crosses this many watts …
    power_on_w: float = 5.0
    #: … or changes by more than this share of the last reported value
    power_change_share: float = 0.25
    #: a presence sensor that stays occupied shows one ``motion`` per this many seconds
    motion_refresh_s: float = 900.0


class Memory:
    """The last state an adapter saw per (address, field), to turn levels into edges.

    One per source, owned by the caller; bounded (least recently used addresses forgotten
    first), so a flood of made-up addresses cannot grow it without limit. Forgetting costs at
    most one repeated event, never a lost one.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self._last: OrderedDict[tuple[str, Hashable], object] = OrderedDict()
        self._max = max_entries

    def __len__(self) -> int:
        """How many (address, key) states are remembered (at most ``max_entries``)."""
        return len(self._last)

    def get(self, address: str, key: Hashable) -> object | None:
        """The last value put for ``(address, key)``, or None."""
        slot = (address, key)
        value = self._last.get(slot)
        if value is not None:
            self._last.move_to_end(slot)
        return value

    def put(self, address: str, key: Hashable, value: object) -> None:
        """Remember ``value`` for ``(address, key)``."""
        slot = (address, key)
        self._last[slot] = value
        self._last.move_to_end(slot)
        while len(self._last) > self._max:
            self._last.popitem(last=False)

    def changed(self, address: str, key: Hashable, value: object) -> bool:
        """Whether ``value`` differs from the last one seen (and remember it)."""
        before = self.get(address, key)
        self.put(address, key, value)
        return before != value


class Adapter(Protocol):
    """One foreign source read from the broker."""

    #: the source's name in settings and in a device's ``source.kind``
    kind: str

    def filters(self, settings: AdapterSettings) -> list[str]:
        """The MQTT topic filters the gateway subscribes to for this source."""
        ...

    def adapt(
        self, topic: str, payload: bytes, memory: Memory, now: float, settings: AdapterSettings
    ) -> list[Output]:
        """What one message means; never raises on any payload (a Refusal instead)."""
        ...
