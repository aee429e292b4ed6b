"""``/api/v1/devices``: the fleet, and each device's stored events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Final

from fastapi import APIRouter, Body, Path, Query, Response, status

from api.auth import EventReader, FleetReader, FleetWriter, Role
from api.errors import field_error
from api.masking import device_shown
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import instant, plain_text
from api.state import AppState, StateDep
from care import errors as care_errors
from care import services as care_services
from care.audit import Attempt
from devices import errors as fleet_errors
from devices import services
from devices.kinds import KINDS, DeviceType
from devices.models import (
    DEVICE_ID_PATTERN,
    DeviceCreate,
    DevicePublic,
    DeviceSource,
    DeviceUpdate,
    EventPublic,
)
from store.db import Conn

router = APIRouter(prefix="/devices", tags=["devices"])

DeviceIdPath = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="The device's id")]
MAX_EVENTS: Final = 1000


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DevicePublic,
    responses={
        409: {
            "description": "a device with this id is already registered, or another device is"
            " bound to this source"
        }
    },
)
async def create_device(
    device: Annotated[DeviceCreate, Body()], _: FleetWriter, state: StateDep
) -> DevicePublic:
    """Register a device; from then on the gateway accepts its messages. With ``source``,
    the foreign address's waiting dead letters are replayed into its events."""
    return await _replaying(state, device.source, lambda c: services.register_device(c, device))


@router.get("/{device_id}", response_model=DevicePublic)
async def get_device(
    device_id: DeviceIdPath, principal: FleetReader, state: StateDep
) -> DevicePublic:
    """A device; a viewer's answer has no ``last_seen`` or ``status_changed_at``."""
    async with state.connection() as conn:
        found = await services.device(conn, device_id)
    return device_shown(found, redacted=principal.redacted)


@router.patch(
    "/{device_id}",
    response_model=DevicePublic,
    responses={409: {"description": "another device is bound to this source"}},
)
async def update_device(
    device_id: DeviceIdPath,
    changes: Annotated[DeviceUpdate, Body()],
    _: FleetWriter,
    state: StateDep,
) -> DevicePublic:
    """Change some fields; ``"elder_id": null`` takes the device out of a home,
    ``"source": null`` unbinds it. A ``source`` sent replays the foreign address's waiting
    dead letters into the device's events (each once: a replayed letter is gone)."""
    return await _replaying(
        state, changes.source, lambda c: services.update_device(c, device_id, changes)
    )


async def _replaying(
    state: AppState,
    source: DeviceSource | None,
    change: Callable[[Conn], Awaitable[DevicePublic]],
) -> DevicePublic:
    """``change`` committed; then, when it sent a ``source``, that address's waiting dead
    letters replayed into the device's events (after the commit: the replay finds the
    binding)."""
    async with state.connection() as conn:
        device = await change(conn)
        selection = None if source is None else await services.source_letters(conn, source)
    if selection is not None:
        await services.replay_bound(state.replayer, selection)
    return device


@router.delete("/{device_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_device(device_id: DeviceIdPath, _: FleetWriter, state: StateDep) -> Response:
    """Unregister a device. Its stored events stay readable."""
    async with state.connection() as conn:
        await services.remove_device(conn, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=Page[DevicePublic])
async def list_devices(
    *,
    principal: FleetReader,
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
    query = services.DeviceQuery(
        elder_id=plain_text(elder_id, "elder_id"),
        type=None if type is None else str(type),
        online=online,
        after=cursor,
        limit=limit,
    )
    async with state.connection() as conn:
        rows = await services.devices(conn, query)
    return page_of([device_shown(d, redacted=principal.redacted) for d in rows], limit)


@router.get("/{device_id}/events", response_model=list[EventPublic])
async def list_events(
    *,
    device_id: DeviceIdPath,
    principal: EventReader,
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
    events stay readable here. Not for viewers (403): they are the elder's comings and
    goings; town staff read those of their own town's homes. Every read is audited as a
    read of the elder's events."""
    tz = state.settings.tz
    since, until = instant(from_, "from", tz), instant(to, "to", tz)
    if since is not None and until is not None and until < since:
        raise field_error(("query", "to"), "is before from", to)
    if kind is not None and kind not in KINDS:
        raise field_error(("query", "kind"), f"unknown kind; one of {sorted(KINDS)}", kind)
    query = services.EventQuery(since=since, until=until, kind=kind, limit=limit)
    only_town = principal.town if principal.role is Role.TOWN_STAFF else None
    try:
        async with state.connection() as conn:
            found = await services.device_events(conn, device_id, query, only_town=only_town)
            # The audit log is care's (devices may not import care): the API joins the two.
            await care_services.record_events_read(
                conn, principal.actor, device_id, found.elder_id, found.town
            )
    except fleet_errors.ForbiddenError as exc:
        attempt = Attempt(principal.actor, care_services.DEVICE_EVENTS, device_id)
        raise care_errors.ForbiddenError(str(exc), attempt) from None
    return list(found.events)
