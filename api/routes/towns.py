"""``/api/v1/towns``: the registry of towns (鎮/街道), their aliases and duty contacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, ConfigDict

from api.auth import Admin, ElderReader
from api.masking import mask_name, mask_phone
from api.pagination import Page
from api.routes.care_common import actor_of
from api.state import StateDep
from care import town_services
from care.towns import Town, TownCreate, TownUpdate, UnmappedElder, UnmappedToken

router = APIRouter(prefix="/towns", tags=["towns"])

TownPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]


class TownPublic(BaseModel):
    """A registered town; ``aliases`` are the other forms that name it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    aliases: list[str]
    duty_name: str | None
    duty_phone: str | None


class UnmappedOut(BaseModel):
    """Elders and live town staff tokens whose town is no registered town."""

    model_config = ConfigDict(from_attributes=True)

    elders: list[UnmappedElder]
    tokens: list[UnmappedToken]


def _shown(town: Town, *, masked: bool) -> TownPublic:
    shown = TownPublic.model_validate(town)
    if masked:
        shown.duty_name = None if town.duty_name is None else mask_name(town.duty_name)
        shown.duty_phone = None if town.duty_phone is None else mask_phone(town.duty_phone)
    return shown


@router.get("", response_model=Page[TownPublic])
async def list_towns(principal: ElderReader, state: StateDep) -> Page[TownPublic]:
    """Every registered town (one page: the registry is small), by name."""
    async with state.connection() as conn:
        towns = await town_services.list_towns(conn)
    masked = not principal.sees_identity
    return Page[TownPublic](items=[_shown(t, masked=masked) for t in towns], next_cursor=None)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TownPublic,
    responses={409: {"description": "the name or an alias already names a town"}},
)
async def create_town(
    town: Annotated[TownCreate, Body()], principal: Admin, state: StateDep
) -> TownPublic:
    """Register a town with its aliases and duty contact (admins)."""
    async with state.connection() as conn:
        created = await town_services.create_town(conn, actor_of(principal), town)
    return _shown(created, masked=False)


@router.get("/unmapped", response_model=UnmappedOut)
async def unmapped(_: Admin, state: StateDep) -> UnmappedOut:
    """Elders and town staff tokens whose town is no registered town (admins)."""
    async with state.connection() as conn:
        found = await town_services.unmapped(conn)
    return UnmappedOut.model_validate(found)


@router.put(
    "/{town}",
    response_model=TownPublic,
    responses={
        404: {"description": "no such town"},
        409: {"description": "an alias already names another town"},
    },
)
async def update_town(
    town: TownPath, changes: Annotated[TownUpdate, Body()], principal: Admin, state: StateDep
) -> TownPublic:
    """Replace a town's aliases (when sent) and set its duty contact (admins); the town may
    be named by an alias."""
    async with state.connection() as conn:
        updated = await town_services.update_town(conn, actor_of(principal), town, changes)
    return _shown(updated, masked=False)
