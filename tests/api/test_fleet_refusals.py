"""The fleet's refusals keep their exact status and body, whoever raises them."""

from __future__ import annotations

import httpx

DEVICES = "/api/v1/devices"
NO_DEVICE = {"detail": "no such device"}


async def test_an_unknown_device_is_404_no_such_device_on_every_route(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for method, path, body in (
        ("GET", "/ghost", None),
        ("PATCH", "/ghost", {"room": "hall"}),
        ("DELETE", "/ghost", None),
        ("GET", "/ghost/events", None),
    ):
        response = await client.request(method, f"{DEVICES}{path}", json=body, headers=admin)
        assert (response.status_code, response.json()) == (404, NO_DEVICE), (method, path)


async def test_a_second_device_of_the_same_id_is_409_and_an_unknown_elder_is_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"id": "pat-1", "type": "sos_button"}
    assert (await client.post(DEVICES, json=body, headers=admin)).status_code == 201
    again = await client.post(DEVICES, json=body, headers=admin)
    assert (again.status_code, again.json()) == (409, {"detail": "a device with this id exists"})
    unknown_elder = [
        {
            "type": "value_error",
            "loc": ["body", "elder_id"],
            "msg": "no elder with this id is on file",
            "input": "KP-404",
        }
    ]
    created = await client.post(
        DEVICES, json={"id": "pat-2", "type": "sos_button", "elder_id": "KP-404"}, headers=admin
    )
    moved = await client.patch(f"{DEVICES}/pat-1", json={"elder_id": "KP-404"}, headers=admin)
    for response in (created, moved):
        assert (response.status_code, response.json()["detail"]) == (422, unknown_elder)


async def test_a_replay_where_the_gateway_is_not_wired_is_503(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post("/api/v1/dead-letters/replay", json={}, headers=admin)
    assert (response.status_code, response.json()) == (
        503,
        {"detail": "dead-letter replay is not available in this process"},
    )
