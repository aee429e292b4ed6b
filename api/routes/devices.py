"""``/api/v1/devices``: the fleet, and each device's stored events."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Body, HTTPException, Path, Query, Response, status

from api.auth import FleetReader, FleetWriter
from api.errors import field_error
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import instant, plain_text
from api.state import StateDep
from devices import repo
from devices.kinds import KINDS, DeviceType
from devices.models import (
    DEVICE_ID_PATTERN,
    DeviceCreate,
    DevicePublic,
    DeviceUpdate,
    EventPublic,
)

router = APIRouter(prefix="/devices", tags=["devices"])

DeviceIdPath = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="The device's id")]
_NOT_FOUND: Final = "no such device"
_UNKNOWN_ELDER: Final = "no elder with this id is on file"
MAX_EVENTS: Final = 1000


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DevicePublic,
    responses={409: {"description": "a device with this id is already registered"}},
)
async def create_device(
    device: Annotated[DeviceCreate, Body()], _: FleetWriter, state: StateDep
) -> DevicePublic:
    """Register a device; from then on the gateway accepts its messages."""
    try:
        async with state.connection() as conn:
            return await repo.insert_device(conn, device)
    except repo.DuplicateDeviceError:
        raise HTTPException(status.HTTP_409_CONFLICT, "a device with this id exists") from None
    except repo.UnknownElderError:
        raise field_error(("body", "elder_id"), _UNKNOWN_ELDER, device.elder_id) from None


@router.get("/{device_id}", response_model=DevicePublic)
async def get_device(device_id: DeviceIdPath, _: FleetReader, state: StateDep) -> DevicePublic:
    async with state.connection() as conn:
        device = await repo.get_device(conn, device_id)
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return device


@router.patch("/{device_id}", response_model=DevicePublic)
async def update_device(
    device_id: DeviceIdPath,
    changes: Annotated[DeviceUpdate, Body()],
    _: FleetWriter,
    state: StateDep,
) -> DevicePublic:
    """Change some fields; ``"elder_id": null`` takes the device out of a home."""
    fields = changes.changes()
    try:
        async with state.connection() as conn:
            device = await repo.update_device(conn, device_id, fields)
    except repo.UnknownElderError:
        raise field_error(("body", "elder_id"), _UNKNOWN_ELDER, fields.get("elder_id")) from None
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return device


@router.delete("/{device_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_device(device_id: DeviceIdPath, _: FleetWriter, state: StateDep) -> Response:
    """Unregister a device. Its stored events stay readable."""
    async with state.connection() as conn:
        deleted = await repo.delete_device(conn, device_id)
    if not deleted:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=Page[DevicePublic])
async def list_devices(
    *,
    _: FleetReader,
    state: StateDep,
    cursor: CursorDep,
    elder_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    type: Annotated[DeviceType | None, Query()] = None,
    online: Annotated[
        bool | None,
        Query(description="true: online now; false: offline or never heard from"),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[DevicePublic]:
    """Devices in id order."""
    async with state.connection() as conn:
        rows = await repo.list_devices(
            conn,
            elder_id=plain_text(elder_id, "elder_id"),
            type_=None if type is None else str(type),
            online=online,
            after=cursor,
            limit=limit + 1,
        )
    return page_of(list(rows), limit)


@router.get("/{device_id}/events", response_model=list[EventPublic])
async def list_events(
    *,
    device_id: DeviceIdPath,
    _: FleetReader,
    state: StateDep,
    from_: Annotated[
        str | None,
        Query(alias="from", description="ISO 8601 with offset, or epoch seconds; inclusive"),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="ISO 8601 with offset, or epoch seconds; exclusive"),
    ] = None,
    kind: Annotated[str | None, Query(description="one event kind, e.g. `motion`")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
) -> list[EventPublic]:
    """The device's stored events, newest first (a bare list, as in the contract; for older
    events ask again with ``to`` set to the oldest ``ts`` received). A deleted device's
    events stay readable here."""
    tz = state.settings.tz
    since, until = instant(from_, "from", tz), instant(to, "to", tz)
    if since is not None and until is not None and until < since:
        raise field_error(("query", "to"), "is before from", to)
    if kind is not None and kind not in KINDS:
        raise field_error(("query", "kind"), f"unknown kind; one of {sorted(KINDS)}", kind)
    async with state.connection() as conn:
        if not await repo.device_known(conn, device_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
        events = await repo.list_events(
            conn, device_id, since=since, until=until, kind=kind, limit=limit
        )
    return list(events)
