"""The fleet's use cases, as the API calls them: register, change and remove devices, read
them and their events, list and replay dead letters. Each works on the caller's connection
(one transaction) and refuses with ``devices.errors``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from devices import fleet_repo, repo, sources_repo
from devices.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnavailableError,
    UnknownElderFieldError,
)
from devices.http_ingest import HttpIngestor, IngestCounts
from devices.models import (
    DeadLetterPublic,
    DeviceCreate,
    DevicePublic,
    DeviceSource,
    DeviceUpdate,
    EventPublic,
    FleetDevice,
    UnboundSource,
)
from devices.replay import DeadLetterReplayer, ReplayResult, ReplaySelection
from devices.schema import Reason
from store.db import Conn

NO_SUCH_DEVICE: Final = "no such device"
DEVICE_EXISTS: Final = "a device with this id exists"
NO_REPLAY: Final = "dead-letter replay is not available in this process"
OTHER_TOWN: Final = "this device is not in a home of this token's town"
SOURCE_TAKEN: Final = "another device is bound to this source (kind and address)"
NO_INGEST: Final = "HTTP ingest is not available in this process"


@dataclass(frozen=True, slots=True)
class DeviceQuery:
    """A page of the fleet: filters, and the keyset position."""

    elder_id: str | None = None
    type: str | None = None
    online: bool | None = None
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class EventQuery:
    """A device's stored events: ``since`` inclusive, ``until`` exclusive, newest first."""

    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    limit: int = 100


async def register_device(conn: Conn, device: DeviceCreate) -> DevicePublic:
    """Register a device; from then on the gateway accepts its messages."""
    try:
        return await repo.insert_device(conn, device)
    except repo.SourceTakenError:
        raise ConflictError(SOURCE_TAKEN) from None
    except repo.DuplicateDeviceError:
        raise ConflictError(DEVICE_EXISTS) from None
    except repo.UnknownElderError:
        raise UnknownElderFieldError(device.elder_id) from None


async def device(conn: Conn, device_id: str) -> DevicePublic:
    found = await repo.get_device(conn, device_id)
    if found is None:
        raise NotFoundError(NO_SUCH_DEVICE)
    return found


async def update_device(conn: Conn, device_id: str, changes: DeviceUpdate) -> DevicePublic:
    """Change the fields sent; ``elder_id: null`` takes the device out of a home."""
    fields = changes.changes()
    try:
        updated = await repo.update_device(conn, device_id, fields)
    except repo.SourceTakenError:
        raise ConflictError(SOURCE_TAKEN) from None
    except repo.UnknownElderError:
        raise UnknownElderFieldError(fields.get("elder_id")) from None
    if updated is None:
        raise NotFoundError(NO_SUCH_DEVICE)
    return updated


async def remove_device(conn: Conn, device_id: str) -> None:
    """Unregister a device; its stored events stay readable."""
    if not await repo.delete_device(conn, device_id):
        raise NotFoundError(NO_SUCH_DEVICE)


async def devices(conn: Conn, query: DeviceQuery) -> Sequence[DevicePublic]:
    """Up to ``limit + 1`` devices in id order after ``after`` (one more: a next page)."""
    return await repo.list_devices(
        conn,
        elder_id=query.elder_id,
        type_=query.type,
        online=query.online,
        after=query.after,
        limit=query.limit + 1,
    )


@dataclass(frozen=True, slots=True)
class FleetQuery:
    """A page of the console's fleet list. ``town`` is already the caller's scope (the town
    rule is care's: ``care.town_services.listed_town``)."""

    low_battery: float
    town: str | None = None
    elder_id: str | None = None
    attention_only: bool = False
    after: str | None = None
    limit: int = 50


async def fleet(conn: Conn, query: FleetQuery) -> Sequence[FleetDevice]:
    """Up to ``limit + 1`` devices in id order with their home's town and why each needs
    attention (one more: a next page)."""
    return await fleet_repo.list_fleet(
        conn,
        town=query.town,
        elder_id=query.elder_id,
        attention_only=query.attention_only,
        low_battery=query.low_battery,
        after=query.after,
        limit=query.limit + 1,
    )


@dataclass(frozen=True, slots=True)
class DeviceEvents:
    """A device's events and whose home they come from (for the caller's audit record)."""

    events: Sequence[EventPublic]
    elder_id: str | None
    town: str | None


async def device_events(
    conn: Conn, device_id: str, query: EventQuery, *, only_town: str | None = None
) -> DeviceEvents:
    """A device's stored events, newest first; a deleted device's events stay readable.
    With ``only_town`` (town staff), only a device in the home of an elder of that town
    (ForbiddenError otherwise)."""
    if not await repo.device_known(conn, device_id):
        raise NotFoundError(NO_SUCH_DEVICE)
    elder_id, town = await repo.device_home(conn, device_id)
    if only_town is not None and (town is None or town != only_town):
        raise ForbiddenError(OTHER_TOWN)
    events = await repo.list_events(
        conn, device_id, since=query.since, until=query.until, kind=query.kind, limit=query.limit
    )
    return DeviceEvents(events, elder_id, town)


async def dead_letters(
    conn: Conn, *, device_id: str | None, reason: str | None, before: int | None, limit: int
) -> Sequence[DeadLetterPublic]:
    """Up to ``limit + 1`` refused messages, newest first (one more: a next page)."""
    return await repo.list_dead_letters(
        conn, device_id=device_id, reason=reason, before=before, limit=limit + 1
    )


async def replay_dead_letters(
    replayer: DeadLetterReplayer | None, selection: ReplaySelection
) -> ReplayResult:
    """Feed the selected dead letters back through the gateway's decoder and writer."""
    if replayer is None:
        raise UnavailableError(NO_REPLAY)
    return await replayer.replay(selection)


async def source_letters(conn: Conn, source: DeviceSource) -> ReplaySelection:
    """The dead letters a binding to ``source`` takes up: those of its address, and of its
    other names (a zigbee2mqtt friendly name of an IEEE address), left unbound."""
    names = await sources_repo.names_of(conn, source.kind, source.address)
    return ReplaySelection(
        reason=Reason.UNBOUND_SOURCE, source_kind=source.kind, source_addresses=names
    )


async def replay_bound(
    replayer: DeadLetterReplayer | None, selection: ReplaySelection
) -> ReplayResult | None:
    """Replay a new binding's waiting letters into its device's events (None: this process
    cannot replay; they stay listed until a binding in one that can)."""
    if replayer is None:
        return None
    return await replayer.replay(selection)


async def unbound_sources(conn: Conn, *, kind: str | None, limit: int) -> list[UnboundSource]:
    """Foreign addresses seen but bound to no device, last seen first."""
    return await sources_repo.unbound_sources(conn, kind=kind, limit=limit)


async def ingest_http(
    ingestor: HttpIngestor | None, source: str, body: bytes, received_at: datetime
) -> IngestCounts:
    """Store a vendor platform's body (``http:<name>``), answered after the commit."""
    if ingestor is None:
        raise UnavailableError(NO_INGEST)
    return await ingestor.ingest(source, body, received_at)
