"""Whatever date, time or month a client sends to an endpoint that takes one, the answer is
never a 5xx (issue 10: year 1 and year 9999 answered 500)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from tanfang.settings import Settings
from tests.api.conftest import bearer, elder_body

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
times = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
    ).map(datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1e300", "-1"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=30),
)
days = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.text(max_size=12),
)
months = st.one_of(
    st.tuples(st.integers(0, 10_000), st.integers(0, 13)).map(
        lambda ym: f"{ym[0]:04d}-{ym[1]:02d}"
    ),
    st.text(max_size=10),
)

formats = st.sampled_from(["json", "csv", "xlsx"])


@st.composite
def requests(draw: st.DrawFn) -> list[tuple[str, str, object]]:
    month, t1, t2, d1, d2 = draw(months), draw(times), draw(times), draw(days), draw(days)
    m, a, b = quote(month), quote(t1), quote(t2)
    visit = {"elder_id": "KP-1", "method": "phone", "visited_at": t1, "visitor": "李"}
    watch = {"from": d1, "to": d2, "reason": "颱風", "min_visits_per_week": 1}
    shift = {"name": "李", "phone": "13800138000", "starts_at": t1, "ends_at": t2}
    return [
        ("GET", f"/api/v1/visits/due?month={m}", None),
        ("GET", f"/api/v1/elders/KP-1/compliance?month={m}", None),
        (
            "GET",
            f"/api/v1/reports/monthly?month={m}&format={draw(formats)}",
            None,
        ),
        ("GET", f"/api/v1/reports/alerts?month={m}&format={draw(formats)}", None),
        ("POST", "/api/v1/visits", visit),
        ("POST", "/api/v1/elders", elder_body("KP-2", birth_date=d1, filed_on=d2)),
        (
            "POST",
            "/api/v1/elders",
            elder_body("KP-3", visit_consent=False, refusal_reason="不要", refusal_date=d1),
        ),
        ("POST", "/api/v1/watch-periods", watch),
        ("GET", f"/api/v1/watch-periods?from={quote(d1)}&to={quote(d2)}", None),
        ("GET", f"/api/v1/devices/d-1/events?from={a}&to={b}", None),
        ("GET", f"/api/v1/elders/KP-1/visits?from={a}&to={b}", None),
        ("POST", "/api/v1/on-call", shift),
        ("GET", f"/api/v1/on-call?at={a}", None),
        ("GET", f"/api/v1/on-call?from={a}&to={b}", None),
    ]


async def statuses(
    config: Settings, token: str, sent: list[tuple[str, str, object]]
) -> list[tuple[str, int]]:
    app = create_app(config)
    admin = bearer(token)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        await client.post("/api/v1/elders", json=elder_body("KP-1"), headers=admin)
        answered = []
        for method, url, body in sent:
            response = await client.request(method, url, json=body, headers=admin)
            answered.append((url, response.status_code))
        return answered


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=requests())
def test_no_date_time_or_month_makes_a_date_taking_endpoint_answer_5xx(
    settings: Settings, admin_token: str, sent: list[tuple[str, str, object]]
) -> None:
    answered = asyncio.run(statuses(settings, admin_token, sent))
    assert all(status < 500 for _, status in answered), answered
