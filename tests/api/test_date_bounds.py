"""Months, days and times a client sends lie within the service's years: a 422 naming the
field, never a 500 from the calendar's edges (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.api.conftest import assert_refused_at, elder_body

NEXT_YEAR = datetime.now(UTC).year + 1

MONTH_URLS = [
    "/api/v1/visits/due",
    "/api/v1/elders/KP-1/compliance",
    "/api/v1/reports/monthly",
    "/api/v1/reports/monthly?format=csv",
    "/api/v1/reports/monthly?format=xlsx",
    "/api/v1/reports/alerts",
    "/api/v1/reports/alerts?format=csv",
    "/api/v1/reports/alerts?format=xlsx",
]


@pytest.fixture
async def elder(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    body = elder_body("KP-1", birth_date="1941-05-02")
    response = await client.post("/api/v1/elders", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return "KP-1"


def visit(visited_at: str) -> dict[str, object]:
    return {"elder_id": "KP-1", "method": "phone", "visited_at": visited_at, "visitor": "李"}


def with_month(url: str, month: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}month={month}"


async def test_a_month_outside_2000_to_next_december_is_refused_naming_month(
    client: httpx.AsyncClient, admin: dict[str, str], elder: str
) -> None:
    for month in ["0001-01", "9999-12", "1999-12", f"{NEXT_YEAR + 1}-01"]:
        for url in MONTH_URLS:
            response = await client.get(with_month(url, month), headers=admin)
            assert_refused_at(response, "query", "month")


async def test_the_first_and_last_months_asked_are_answered(
    client: httpx.AsyncClient, admin: dict[str, str], elder: str
) -> None:
    for month in ["2000-01", f"{NEXT_YEAR}-12"]:
        for url in MONTH_URLS:
            response = await client.get(with_month(url, month), headers=admin)
            assert response.status_code == 200, (url, month, response.text)


@pytest.mark.parametrize(
    "visited_at",
    ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00"],
    ids=["year_one_overflowing", "before_2000", "year_9999"],
)
async def test_a_visit_outside_the_service_years_is_refused_naming_visited_at(
    client: httpx.AsyncClient, admin: dict[str, str], elder: str, visited_at: str
) -> None:
    response = await client.post("/api/v1/visits", json=visit(visited_at), headers=admin)
    assert_refused_at(response, "body", "visited_at")


async def test_a_visit_before_the_elders_birth_is_refused_naming_visited_at(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = elder_body("KP-1", birth_date="2001-03-01")
    assert (await client.post("/api/v1/elders", json=body, headers=admin)).status_code == 201
    refused = await client.post(
        "/api/v1/visits", json=visit("2001-02-28T10:00:00+08:00"), headers=admin
    )
    assert_refused_at(refused, "body", "visited_at")
    taken = await client.post(
        "/api/v1/visits", json=visit("2001-03-01T10:00:00+08:00"), headers=admin
    )
    assert taken.status_code == 201, taken.text


@pytest.mark.parametrize("field", ["filed_on", "refusal_date"])
async def test_a_day_of_the_file_outside_the_service_years_is_refused_naming_it(
    client: httpx.AsyncClient, admin: dict[str, str], field: str
) -> None:
    await client.post("/api/v1/elders", json=elder_body("KP-2"), headers=admin)
    extra = {"visit_consent": False, "refusal_reason": "不需要"} if field == "refusal_date" else {}
    for day in ["0001-01-01", "1999-12-31", "9999-12-31"]:
        body = elder_body("KP-1", **extra, **{field: day})
        created = await client.post("/api/v1/elders", json=body, headers=admin)
        assert_refused_at(created, "body", field)
        patched = await client.patch("/api/v1/elders/KP-2", json={field: day}, headers=admin)
        assert_refused_at(patched, "body", field)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("0001-01-01", "0001-01-07", "from"), ("2026-01-01", "9999-12-31", "to")],
)
async def test_a_watch_period_outside_the_service_years_is_refused_naming_the_day(
    client: httpx.AsyncClient, admin: dict[str, str], start: str, end: str, field: str
) -> None:
    body = {"from": start, "to": end, "reason": "颱風", "min_visits_per_week": 2}
    declared = await client.post("/api/v1/watch-periods", json=body, headers=admin)
    assert_refused_at(declared, "body", field)
    day = start if field == "from" else end
    listed = await client.get(f"/api/v1/watch-periods?{field}={day}", headers=admin)
    assert_refused_at(listed, "query", field)
