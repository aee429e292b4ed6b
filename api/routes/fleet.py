"""``/api/v1/fleet``: the devices of the homes with their town and why each needs attention
(offline, low battery, never heard from) — the console's fleet list and an elder card's
device health. Every role reads it; town staff their own town's homes, viewers without the
times a device was last heard from (as ``GET /devices``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ElderReader, FleetReader
from api.masking import device_shown, unbound_shown
from api.pagination import DEFAULT_LIMIT, CursorDep, LimitQuery, Page, page_of
from api.params import plain_text
from api.routes.care_common import actor_of
from api.state import StateDep
from care.models import ELDER_ID_PATTERN
from care.town_services import listed_town
from devices import services
from devices.models import FleetDevice, UnboundSource

router = APIRouter(prefix="/fleet", tags=["devices"])


@router.get("", response_model=Page[FleetDevice])
async def fleet(
    *,
    principal: ElderReader,
    state: StateDep,
    cursor: CursorDep,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    elder_id: Annotated[str | None, Query(pattern=ELDER_ID_PATTERN)] = None,
    attention: Annotated[
        bool, Query(description="true: only devices offline, low on battery or never heard")
    ] = False,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[FleetDevice]:
    """Devices in id order, each with its home's ``town`` and ``attention`` (``offline``:
    its Last Will or the gateway's missed-heartbeat alert; ``low_battery``: below
    ``TANFANG_BATTERY_LOW_PERCENT`` or an open battery alert; ``never_heard``). Town staff
    get their own town's homes (``town=`` of another: 403)."""
    async with state.connection() as conn:
        scoped = await listed_town(conn, actor_of(principal), plain_text(town, "town"))
        query = services.FleetQuery(
            low_battery=state.settings.battery_low_percent,
            town=scoped,
            elder_id=elder_id,
            attention_only=attention,
            after=cursor,
            limit=limit,
        )
        found = await services.fleet(conn, query)
    return page_of([device_shown(d, redacted=principal.redacted) for d in found], limit)


@router.get("/unbound", response_model=list[UnboundSource])
async def unbound(
    *,
    principal: FleetReader,
    state: StateDep,
    kind: Annotated[
        str | None, Query(min_length=1, max_length=70, description="one source kind")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> list[UnboundSource]:
    """Seen but not bound: foreign addresses (zigbee2mqtt, tasmota, shelly, esphome,
    http:<name>) whose messages wait as ``unbound_source`` dead letters, last seen first.
    Binding one (``source`` in ``POST /devices`` or ``PATCH /devices/{id}``) replays them.
    A viewer's answer has no ``last_payload`` (as a dead letter's, it holds events)."""
    async with state.connection() as conn:
        found = await services.unbound_sources(conn, kind=plain_text(kind, "kind"), limit=limit)
    return [unbound_shown(u, redacted=principal.redacted) for u in found]
