"""The fleet as the API sees it: devices, their stored events, and dead letters.

``DeviceCreate`` / ``DeviceUpdate`` are what a client may send; ``DevicePublic``,
``EventPublic`` and ``DeadLetterPublic`` are what it gets back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from devices.adapters.registry import MAX_ADDRESS_LENGTH, source_kind_problem
from devices.kinds import DeviceType
from store.patch import PatchModel
from store.text import ID_PATTERN, RecordId, storable

DEVICE_ID_PATTERN: Final = ID_PATTERN
# Dead-letter payloads are shown up to this many bytes.
PAYLOAD_SHOWN_BYTES: Final = 1024


DeviceId = RecordId
ElderRef = RecordId
Room = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(storable)]
HeartbeatSeconds = Annotated[int, Field(ge=10, le=7 * 24 * 3600)]


def _source_kind(kind: str) -> str:
    problem = source_kind_problem(kind)
    if problem is not None:
        raise ValueError(problem)
    return kind


def _printable(value: str) -> str:
    storable(value)
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be printable, without surrounding spaces")
    return value


class DeviceSource(BaseModel):
    """The foreign id a device is bound to (CONTRACT §2): a zigbee IEEE address or friendly
    name, a Tasmota topic, a Shelly id, an ESPHome ``node/sensor``, a vendor's device id."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[
        str,
        Field(description="zigbee2mqtt, tasmota, shelly, esphome, or http:<name>"),
        AfterValidator(_source_kind),
    ]
    address: Annotated[
        str,
        Field(min_length=1, max_length=MAX_ADDRESS_LENGTH),
        AfterValidator(_printable),
    ]


class DeviceCreate(BaseModel):
    """A device to register. Without ``elder_id`` it is registered but not yet installed."""

    model_config = ConfigDict(use_enum_values=True, extra="forbid")

    id: DeviceId
    type: DeviceType
    elder_id: ElderRef | None = None
    room: Room | None = None
    heartbeat_interval_s: HeartbeatSeconds = 300
    source: DeviceSource | None = None


class DeviceUpdate(PatchModel):
    """A partial change: only the fields sent change; ``null`` clears ``elder_id``/``room``
    (and ``source``: the device is no longer bound to a foreign id)."""

    not_null = frozenset({"type", "heartbeat_interval_s"})

    type: DeviceType | None = None
    elder_id: ElderRef | None = None
    room: Room | None = None
    heartbeat_interval_s: HeartbeatSeconds | None = None
    source: DeviceSource | None = None


class DevicePublic(BaseModel):
    """A registered device and what the gateway last knew of it. ``online`` is null when no
    status was ever received (unknown, not offline)."""

    id: str
    type: str
    elder_id: str | None
    room: str | None
    heartbeat_interval_s: int
    online: bool | None
    last_seen: datetime | None
    battery: int | None
    rssi: int | None
    status: str
    status_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    source: DeviceSource | None = None


class EventPublic(BaseModel):
    """One stored event of a device."""

    ts: datetime
    kind: str
    value: float | None
    seq: int | None
    battery: int | None
    rssi: int | None
    flags: list[str]
    extra: dict[str, Any]
    received_at: datetime


class DeadLetterPublic(BaseModel):
    """A refused message. ``payload`` is its first KiB as text (bytes that are not UTF-8
    shown as U+FFFD); ``payload_size`` is the size of the whole payload in bytes."""

    id: int
    received_at: datetime
    topic: str
    device_id: str | None
    reason: str
    detail: str | None
    payload: str
    payload_size: int
    payload_truncated: bool
    source_kind: str | None = None
    source_address: str | None = None


class FleetDevice(BaseModel):
    """A device as the console's fleet list shows it: with its home's town, and why it
    needs attention (``offline``, ``low_battery``, ``never_heard``; empty: none)."""

    id: str
    type: str
    elder_id: str | None
    room: str | None
    town: str | None
    heartbeat_interval_s: int
    online: bool | None
    last_seen: datetime | None
    battery: int | None
    status: str
    status_changed_at: datetime | None
    attention: list[str]


class UnboundSource(BaseModel):
    """A foreign address seen by the gateway that no device is bound to: its messages wait
    as dead letters (``unbound_source``) until a device is bound to it, then are replayed."""

    kind: str
    address: str
    first_seen: datetime
    last_seen: datetime
    count: int = Field(description="dead letters waiting for a binding")
    last_payload: str = Field(description="the last message's first 200 bytes, as text")
