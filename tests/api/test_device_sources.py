"""Binding devices to foreign sources through the API: stored and shown, one device per
(kind, address), bad kinds and addresses named in the 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_refused_at, elder_body

ZIGBEE = {"kind": "zigbee2mqtt", "address": "0x00158d0001a2b3c4"}


async def device(
    client: httpx.AsyncClient, admin: dict[str, str], device_id: str, **fields: Any
) -> httpx.Response:
    elder = await client.post("/api/v1/elders", json=elder_body("KP-30"), headers=admin)
    assert elder.status_code in {201, 409}, elder.text
    body = {"id": device_id, "type": "door_sensor", "elder_id": "KP-30", **fields}
    return await client.post("/api/v1/devices", json=body, headers=admin)


async def test_a_bound_device_shows_its_source_and_an_unbound_one_null(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await device(client, admin, "door-1", source=ZIGBEE)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == ZIGBEE
    assert (await device(client, admin, "door-2")).json()["source"] is None
    got = await client.get("/api/v1/devices/door-1", headers=admin)
    assert got.json()["source"] == ZIGBEE
    listed = (await client.get("/api/v1/devices", headers=admin)).json()["items"]
    assert {d["id"]: d["source"] for d in listed} == {"door-1": ZIGBEE, "door-2": None}


async def test_a_source_bound_to_another_device_is_a_409_on_create_and_on_patch(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await device(client, admin, "door-1", source=ZIGBEE)).status_code == 201
    second = await device(client, admin, "door-2", source=ZIGBEE)
    assert second.status_code == 409
    assert "source" in second.json()["detail"]
    assert (await device(client, admin, "door-3")).status_code == 201
    patched = await client.patch("/api/v1/devices/door-3", json={"source": ZIGBEE}, headers=admin)
    assert patched.status_code == 409
    # The same address under another kind is another source.
    other = {"kind": "tasmota", "address": ZIGBEE["address"]}
    patched = await client.patch("/api/v1/devices/door-3", json={"source": other}, headers=admin)
    assert patched.status_code == 200, patched.text


async def test_a_source_set_to_null_unbinds_the_device_and_frees_the_address(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await device(client, admin, "door-1", source=ZIGBEE)).status_code == 201
    unbound = await client.patch("/api/v1/devices/door-1", json={"source": None}, headers=admin)
    assert unbound.status_code == 200
    assert unbound.json()["source"] is None
    assert (await device(client, admin, "door-2", source=ZIGBEE)).status_code == 201
    # A change of other fields leaves the binding as it is.
    room = await client.patch("/api/v1/devices/door-2", json={"room": "entrance"}, headers=admin)
    assert room.json()["source"] == ZIGBEE


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"kind": "zwave", "address": "12"}, "kind"),
        ({"kind": "http:", "address": "12"}, "kind"),
        ({"kind": "http:bad name", "address": "12"}, "kind"),
        ({"kind": "zigbee2mqtt", "address": ""}, "address"),
        ({"kind": "zigbee2mqtt", "address": " padded "}, "address"),
        ({"kind": "zigbee2mqtt", "address": "x" * 201}, "address"),
        ({"kind": "zigbee2mqtt", "address": "line\nbreak"}, "address"),
        ({"kind": "zigbee2mqtt"}, "address"),
    ],
)
async def test_a_bad_source_is_a_422_naming_its_field(
    client: httpx.AsyncClient, admin: dict[str, str], source: dict[str, str], field: str
) -> None:
    assert_refused_at(await device(client, admin, "door-1", source=source), "body", "source", field)
    assert (await device(client, admin, "door-1")).status_code == 201
    patched = await client.patch("/api/v1/devices/door-1", json={"source": source}, headers=admin)
    assert_refused_at(patched, "body", "source", field)


async def test_an_http_vendor_source_binds_like_any_other(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    vendor = {"kind": "http:acme", "address": "PAT-88231"}
    created = await device(client, admin, "pat-1", source=vendor)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == vendor
