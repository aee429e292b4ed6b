"""``/elders/{id}/absences``: declare, list and withdraw an absence; bad input is a 422
naming the field; another town's staff cannot touch them."""

from __future__ import annotations

import httpx

from tests.api.conftest import TokenMaker, assert_refused_at, bearer, elder_body

ELDERS = "/api/v1/elders"
STAY = {"from": "2026-12-01T08:00:00+08:00", "to": "2026-12-08T18:00:00+08:00", "reason": "住院"}


async def test_an_absence_is_declared_listed_and_withdrawn(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    made = await client.post(f"{ELDERS}/KP-1/absences", json=STAY, headers=admin)
    assert made.status_code == 201
    body = made.json()
    assert (body["elder_id"], body["reason"]) == ("KP-1", "住院")
    assert body["from"] == "2026-12-01T00:00:00Z"
    listed = (await client.get(f"{ELDERS}/KP-1/absences", headers=admin)).json()
    assert [a["id"] for a in listed] == [body["id"]]
    gone = await client.delete(f"{ELDERS}/KP-1/absences/{body['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get(f"{ELDERS}/KP-1/absences", headers=admin)).json() == []
    again = await client.delete(f"{ELDERS}/KP-1/absences/{body['id']}", headers=admin)
    assert again.status_code == 404


async def test_an_absence_that_ends_before_it_starts_or_has_no_offset_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    backwards = {**STAY, "to": "2026-11-30T08:00:00+08:00"}
    assert_refused_at(
        await client.post(f"{ELDERS}/KP-1/absences", json=backwards, headers=admin), "body"
    )
    naive = {**STAY, "from": "2026-12-01T08:00:00"}
    assert_refused_at(
        await client.post(f"{ELDERS}/KP-1/absences", json=naive, headers=admin), "body", "from"
    )
    missing = await client.post(f"{ELDERS}/KP-9/absences", json=STAY, headers=admin)
    assert missing.status_code == 404


async def test_another_towns_staff_cannot_declare_an_absence(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    other = bearer(await make_token("town_staff", town="水口鎮"))
    refused = await client.post(f"{ELDERS}/KP-1/absences", json=STAY, headers=other)
    assert refused.status_code == 403


async def test_the_on_call_declares_and_withdraws_an_absence_and_a_viewer_may_not(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    on_call = bearer(await make_token("operator"))
    made = await client.post(f"{ELDERS}/KP-1/absences", json=STAY, headers=on_call)
    assert made.status_code == 201
    assert made.json()["created_by"]
    # When and why an elder is away (a hospital stay) is not a viewer's to see or change.
    viewer = bearer(await make_token("viewer"))
    assert (await client.get(f"{ELDERS}/KP-1/absences", headers=viewer)).status_code == 403
    refused = await client.post(f"{ELDERS}/KP-1/absences", json=STAY, headers=viewer)
    assert refused.status_code == 403
    listed = await client.get(f"{ELDERS}/KP-1/absences", headers=on_call)
    assert [a["id"] for a in listed.json()] == [made.json()["id"]]
    gone = await client.delete(f"{ELDERS}/KP-1/absences/{made.json()['id']}", headers=on_call)
    assert gone.status_code == 204


async def test_the_on_call_declares_a_month_at_most_town_staff_longer(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    long_stay = {**STAY, "to": "2027-01-02T08:00:01+08:00"}  # 31 days and a second
    on_call = bearer(await make_token("operator"))
    refused = await client.post(f"{ELDERS}/KP-1/absences", json=long_stay, headers=on_call)
    assert_refused_at(refused, "body", "to")
    month = {**STAY, "to": "2027-01-01T08:00:00+08:00"}
    assert (
        await client.post(f"{ELDERS}/KP-1/absences", json=month, headers=on_call)
    ).status_code == 201
    town = bearer(await make_token("town_staff", town=elder_body("KP-1")["town"]))
    made = await client.post(f"{ELDERS}/KP-1/absences", json=long_stay, headers=town)
    assert made.status_code == 201
