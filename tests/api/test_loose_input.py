"""Loose input is refused, naming the field: booleans are JSON's true and false, and names,
towns, villages, addresses, reasons and visitors hold something a person can read
(issue 10)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_refused_at, elder_body

# NFKC leaves none of these visible: spaces of every width, zero-width characters, BOM,
# bidi marks, control characters.
INVISIBLE = [" ", "\u3000", "\u200b\u200c\u200d", "\ufeff", "\u2060\u200e", "\t\n", "\u00a0\u2003"]


@pytest.mark.parametrize("field", ["incapacitated", "visit_consent", "low_income"])
async def test_a_boolean_of_the_file_must_be_true_or_false(
    client: httpx.AsyncClient, admin: dict[str, str], field: str
) -> None:
    for value in ["yes", "true", 1, 0, "1", "on"]:
        body = elder_body("KP-1", **{field: value})
        assert_refused_at(
            await client.post("/api/v1/elders", json=body, headers=admin), "body", field
        )


async def test_a_boolean_change_must_be_true_or_false(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (
        await client.post("/api/v1/elders", json=elder_body("KP-1"), headers=admin)
    ).status_code == 201
    patched = await client.patch("/api/v1/elders/KP-1", json={"dementia": "yes"}, headers=admin)
    assert_refused_at(patched, "body", "dementia")
    kept = await client.patch("/api/v1/elders/KP-1", json={"dementia": True}, headers=admin)
    assert kept.json()["dementia"] is True


async def test_a_visits_refused_flag_must_be_true_or_false(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post("/api/v1/elders", json=elder_body("KP-1"), headers=admin)
    body = {
        "elder_id": "KP-1",
        "method": "phone",
        "visited_at": "2026-01-05T10:00:00+08:00",
        "visitor": "李",
        "refused": "yes",
    }
    assert_refused_at(
        await client.post("/api/v1/visits", json=body, headers=admin), "body", "refused"
    )


async def test_query_string_booleans_still_read_true_and_false(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for online in ("true", "false"):
        response = await client.get(f"/api/v1/devices?online={online}", headers=admin)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["name", "town", "village", "address", "contact_person"])
async def test_a_file_text_of_invisible_characters_only_is_refused_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str], field: str
) -> None:
    for value in INVISIBLE:
        created = await client.post(
            "/api/v1/elders", json=elder_body("KP-1", **{field: value}), headers=admin
        )
        assert_refused_at(created, "body", field)
    refusal = elder_body("KP-1", visit_consent=False, refusal_reason="\u200b \u3000")
    assert_refused_at(
        await client.post("/api/v1/elders", json=refusal, headers=admin), "body", "refusal_reason"
    )


async def test_visible_text_among_invisible_characters_is_kept_as_sent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/elders", json=elder_body("KP-1", name="\u200b王小明 "), headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "\u200b王小明 "


async def test_a_visitor_contact_or_watch_reason_of_invisible_characters_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post("/api/v1/elders", json=elder_body("KP-1"), headers=admin)
    blank = "\u200b\u3000"
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "/api/v1/visits",
            {
                "elder_id": "KP-1",
                "method": "phone",
                "visited_at": "2026-01-05T10:00:00+08:00",
                "visitor": blank,
            },
            "visitor",
        ),
        (
            "/api/v1/elders/KP-1/contacts",
            {"name": blank, "phone": "13812345678", "relation": "child"},
            "name",
        ),
        (
            "/api/v1/watch-periods",
            {"from": "2026-01-01", "to": "2026-01-07", "reason": blank, "min_visits_per_week": 1},
            "reason",
        ),
    ]
    for url, body, field in cases:
        assert_refused_at(await client.post(url, json=body, headers=admin), "body", field)
