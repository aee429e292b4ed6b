"""``/api/v1/on-call``: admins and operators keep the roster; ``GET ?at=`` answers exactly
the shifts covering that instant (start included, end excluded), all-town shifts with
every town's; town staff see their own town's, viewers see who masked; and
``alerting.oncall_repo.on_duty`` is what the escalator reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import psycopg
import pytest

from alerting import oncall_repo
from care import audit_repo
from tests.api.conftest import TokenMaker, assert_refused_at, bearer

API = "/api/v1/on-call"
CHIKAN = "赤坎鎮"
SHUIKOU = "水口鎮"
DAY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
HAND_OVER = DAY + timedelta(hours=12)
NEXT_DAY = DAY + timedelta(days=1)


def shift(
    name: str, starts: datetime, ends: datetime, towns: list[str] | None = None, **more: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "phone": "13800138000",
        "towns": towns,
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
    }
    return body | more


async def add(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post(API, json=body, headers=headers)
    assert response.status_code == 201, response.text
    shift_id: str = response.json()["id"]
    return shift_id


async def names_at(
    client: httpx.AsyncClient, headers: dict[str, str], at: datetime, **params: str
) -> list[str]:
    response = await client.get(API, params={"at": at.isoformat(), **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["items"]]


@pytest.fixture
async def roster(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """A day shift and a night shift for 赤坎鎮, an all-town backup for the day, and a
    day shift of 水口鎮."""
    return {
        "day": await add(client, admin, shift("李日班", DAY, HAND_OVER, [CHIKAN])),
        "night": await add(client, admin, shift("陳夜班", HAND_OVER, NEXT_DAY, [CHIKAN])),
        "backup": await add(client, admin, shift("張全縣", DAY, HAND_OVER)),
        "shuikou": await add(client, admin, shift("黃水口", DAY, HAND_OVER, [SHUIKOU])),
    }


async def test_a_new_shift_is_answered_with_its_id_as_text_and_the_towns_registered_names(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = shift("李值班", DAY, HAND_OVER, ["赤坎镇 ", "赤坎", "水口"])
    created = await client.post(API, json=body, headers=admin)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert isinstance(shown["id"], str)
    assert shown["id"].isdigit()
    assert shown["towns"] == [CHIKAN, SHUIKOU], "aliases stored as the town, repeats once"
    assert (shown["name"], shown["phone"], shown["masked"]) == ("李值班", "13800138000", False)
    assert datetime.fromisoformat(shown["starts_at"]) == DAY
    assert datetime.fromisoformat(shown["ends_at"]) == HAND_OVER
    assert "created_at" in shown


async def test_at_picks_exactly_the_shifts_covering_it_start_included_end_excluded(
    client: httpx.AsyncClient, admin: dict[str, str], roster: dict[str, str]
) -> None:
    assert await names_at(client, admin, DAY - timedelta(microseconds=1)) == []
    assert await names_at(client, admin, DAY) == ["李日班", "張全縣", "黃水口"]
    last_instant = HAND_OVER - timedelta(microseconds=1)
    assert await names_at(client, admin, last_instant) == ["李日班", "張全縣", "黃水口"]
    assert await names_at(client, admin, HAND_OVER) == ["陳夜班"], "the night shift took over"
    assert await names_at(client, admin, NEXT_DAY) == []


async def test_a_town_filter_keeps_the_all_town_shifts_and_accepts_an_alias(
    client: httpx.AsyncClient, admin: dict[str, str], roster: dict[str, str]
) -> None:
    assert await names_at(client, admin, DAY, town="赤坎") == ["李日班", "張全縣"]
    assert await names_at(client, admin, DAY, town=SHUIKOU) == ["張全縣", "黃水口"]
    assert await names_at(client, admin, HAND_OVER, town=SHUIKOU) == []
    unknown = await client.get(API, params={"town": "赤崁鎮"}, headers=admin)
    assert_refused_at(unknown, "query", "town")
    assert CHIKAN in unknown.json()["detail"][0]["msg"]


async def test_without_at_the_shifts_on_duty_now_are_answered(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    await add(client, admin, shift("現在班", now - timedelta(hours=1), now + timedelta(hours=1)))
    await add(client, admin, shift("明天班", now + timedelta(days=1), now + timedelta(days=2)))
    response = await client.get(API, headers=admin)
    assert response.status_code == 200, response.text
    assert [s["name"] for s in response.json()["items"]] == ["現在班"]


async def test_at_with_an_offset_is_the_same_instant(
    client: httpx.AsyncClient, admin: dict[str, str], roster: dict[str, str]
) -> None:
    shanghai = HAND_OVER.astimezone(timezone(timedelta(hours=8)))
    assert shanghai.isoformat().endswith("+08:00")
    assert await names_at(client, admin, shanghai, town=CHIKAN) == ["陳夜班"]


async def test_a_range_lists_every_shift_on_duty_at_some_time_of_it(
    client: httpx.AsyncClient, admin: dict[str, str], roster: dict[str, str]
) -> None:
    params = {"from": (HAND_OVER - timedelta(minutes=1)).isoformat(), "to": NEXT_DAY.isoformat()}
    listed = await client.get(API, params={**params, "town": CHIKAN}, headers=admin)
    assert listed.status_code == 200, listed.text
    assert [s["name"] for s in listed.json()["items"]] == ["李日班", "張全縣", "陳夜班"]
    after = {"from": HAND_OVER.isoformat(), "to": NEXT_DAY.isoformat()}
    night = await client.get(API, params=after, headers=admin)
    assert [s["name"] for s in night.json()["items"]] == ["陳夜班"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"at": "tomorrow"}, "at"),
        ({"from": DAY.isoformat()}, "to"),
        ({"to": DAY.isoformat()}, "from"),
        ({"from": DAY.isoformat(), "to": DAY.isoformat()}, "to"),
        ({"from": DAY.isoformat(), "to": (DAY + timedelta(days=32)).isoformat()}, "to"),
        ({"at": DAY.isoformat(), "from": DAY.isoformat(), "to": NEXT_DAY.isoformat()}, "at"),
    ],
    ids=["bad-at", "no-to", "no-from", "empty-range", "range-too-long", "at-and-range"],
)
async def test_a_bad_time_query_is_422_naming_the_parameter(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, str], loc: str
) -> None:
    response = await client.get(API, params=params, headers=admin)
    assert_refused_at(response, "query", loc)


async def test_town_staff_see_the_shifts_covering_their_town_and_no_other(
    client: httpx.AsyncClient, make_token: TokenMaker, roster: dict[str, str]
) -> None:
    staff = bearer(await make_token("town_staff", town=CHIKAN))
    assert await names_at(client, staff, DAY) == ["李日班", "張全縣"]
    assert await names_at(client, staff, DAY, town="赤坎镇") == ["李日班", "張全縣"]
    other = await client.get(API, params={"at": DAY.isoformat(), "town": SHUIKOU}, headers=staff)
    assert other.status_code == 403
    ranged = {"from": DAY.isoformat(), "to": NEXT_DAY.isoformat()}
    listed = await client.get(API, params=ranged, headers=staff)
    assert [s["name"] for s in listed.json()["items"]] == ["李日班", "張全縣", "陳夜班"]
    shown = (await client.get(API, params={"at": DAY.isoformat()}, headers=staff)).json()
    assert shown["items"][0]["phone"] == "13800138000", "town staff see whom to call"


async def test_a_viewer_reads_the_roster_with_name_and_phone_masked(
    client: httpx.AsyncClient, make_token: TokenMaker, roster: dict[str, str]
) -> None:
    viewer = bearer(await make_token("viewer"))
    response = await client.get(API, params={"at": DAY.isoformat()}, headers=viewer)
    assert response.status_code == 200, response.text
    first = response.json()["items"][0]
    assert (first["name"], first["phone"], first["masked"]) == ("李*班", "138****8000", True)
    assert first["towns"] == [CHIKAN]


@pytest.mark.parametrize("role", ["viewer", "town_staff"])
async def test_only_admins_and_operators_change_the_roster(
    client: httpx.AsyncClient, make_token: TokenMaker, roster: dict[str, str], role: str
) -> None:
    token = bearer(await make_token(role, town=CHIKAN if role == "town_staff" else None))
    body = shift("李值班", DAY, HAND_OVER, [CHIKAN])
    assert (await client.post(API, json=body, headers=token)).status_code == 403
    assert (await client.delete(f"{API}/{roster['day']}", headers=token)).status_code == 403
    listed = await client.get(API, params={"at": DAY.isoformat()}, headers=token)
    day = [s for s in listed.json()["items"] if s["id"] == roster["day"]]
    assert len(day) == 1, "nothing was removed"


async def test_an_operator_adds_and_removes_shifts(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    operator = bearer(await make_token("operator"))
    shift_id = await add(client, operator, shift("李值班", DAY, HAND_OVER))
    assert await names_at(client, operator, DAY) == ["李值班"]
    removed = await client.delete(f"{API}/{shift_id}", headers=operator)
    assert removed.status_code == 204
    assert removed.content == b""


async def test_without_a_token_the_roster_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(API)).status_code == 401
    assert (await client.post(API, json=shift("李", DAY, HAND_OVER))).status_code == 401
    assert (await client.delete(f"{API}/1")).status_code == 401


async def test_a_removed_shift_is_no_longer_on_duty_and_a_second_delete_is_404(
    client: httpx.AsyncClient, admin: dict[str, str], roster: dict[str, str]
) -> None:
    removed = await client.delete(f"{API}/{roster['day']}", headers=admin)
    assert removed.status_code == 204, removed.text
    assert await names_at(client, admin, DAY, town=CHIKAN) == ["張全縣"]
    again = await client.delete(f"{API}/{roster['day']}", headers=admin)
    assert again.status_code == 404
    assert (await client.delete(f"{API}/999999", headers=admin)).status_code == 404
    assert_refused_at(await client.delete(f"{API}/abc", headers=admin), "path", "shift_id")


async def test_adding_and_removing_are_audited_without_name_or_phone(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    shift_id = await add(client, admin, shift("李值班", DAY, HAND_OVER, ["赤坎"]))
    await client.delete(f"{API}/{shift_id}", headers=admin)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        entries = await audit_repo.entries(conn, "on_call_shift", shift_id)
    assert [(e.action, e.actor) for e in entries] == [("delete", "admin"), ("create", "admin")]
    for entry in entries:
        assert entry.detail is not None
        assert entry.detail["towns"] == [CHIKAN]
        assert "李值班" not in str(entry.detail)
        assert "13800138000" not in str(entry.detail)


def _naive(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat()


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"ends_at": DAY.isoformat()}, ("body", "ends_at")),
        ({"ends_at": (DAY - timedelta(hours=1)).isoformat()}, ("body", "ends_at")),
        ({"ends_at": (DAY + timedelta(days=31, seconds=1)).isoformat()}, ("body", "ends_at")),
        ({"starts_at": _naive(DAY)}, ("body", "starts_at")),
        ({"ends_at": _naive(HAND_OVER)}, ("body", "ends_at")),
        ({"starts_at": "1999-12-31T00:00:00+08:00"}, ("body", "starts_at")),
        ({"towns": [CHIKAN, "赤崁鎮"]}, ("body", "towns", 1)),
        ({"towns": []}, ("body", "towns")),
        ({"towns": ["\u3000"]}, ("body", "towns", 0)),
        ({"phone": "call me"}, ("body", "phone")),
        ({"name": " \u200b"}, ("body", "name")),
        ({"name": "李" * 101}, ("body", "name")),
        ({"team": "night"}, ("body", "team")),
    ],
    ids=[
        "ends-at-start",
        "ends-before-start",
        "longer-than-31-days",
        "naive-start",
        "naive-end",
        "before-2000",
        "unknown-town",
        "no-towns",
        "blank-town",
        "bad-phone",
        "invisible-name",
        "long-name",
        "unknown-field",
    ],
)
async def test_a_bad_shift_is_422_naming_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    change: dict[str, Any],
    loc: tuple[str | int, ...],
) -> None:
    response = await client.post(API, json=shift("李值班", DAY, HAND_OVER) | change, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == list(loc)
    assert await names_at(client, admin, DAY) == []


async def test_an_unknown_town_offers_close_matches(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = shift("李值班", DAY, HAND_OVER, ["赤崁鎮"])
    response = await client.post(API, json=body, headers=admin)
    assert response.status_code == 422
    assert CHIKAN in response.json()["detail"][0]["msg"]


async def test_a_shift_of_exactly_31_days_is_accepted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await add(client, admin, shift("李值班", DAY, DAY + timedelta(days=31)))


async def test_on_duty_reads_a_towns_shifts_and_the_all_town_ones_by_start_then_id(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    later = DAY + timedelta(hours=1)
    ids = [
        await add(client, admin, shift("後來", later, HAND_OVER, [CHIKAN])),
        await add(client, admin, shift("全縣", DAY, HAND_OVER)),
        await add(client, admin, shift("赤坎", DAY, HAND_OVER, [CHIKAN, SHUIKOU])),
        await add(client, admin, shift("水口", DAY, HAND_OVER, [SHUIKOU])),
    ]
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        chikan = await oncall_repo.on_duty(conn, CHIKAN, later)
        no_town = await oncall_repo.on_duty(conn, None, later)
        before = await oncall_repo.on_duty(conn, CHIKAN, DAY)
    assert [s.id for s in chikan] == [int(ids[1]), int(ids[2]), int(ids[0])]
    assert [s.name for s in no_town] == ["全縣"], "an alert of no town reaches all-town shifts"
    assert [s.name for s in before] == ["全縣", "赤坎"]
    first = chikan[0]
    assert (first.towns, first.phone, first.starts_at) == (None, "13800138000", DAY)
    assert chikan[1].towns == [CHIKAN, SHUIKOU]
    assert all(s.covers(later) for s in chikan)
