"""What each role sees of one elder's records, route by route: the exact identity fields,
shown or masked (api/masking.py), for admin, operator, the elder's own town staff, a viewer
and another town's staff. These pin the answers so that however a response is built, it
cannot bypass the masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import httpx
import pytest

from care.month import Month
from tests.api.conftest import TokenMaker, bearer, elder_body, execute

TZ = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
ELDER = "KP-1"

IDENTITY: Final = {
    "name": "王小明",
    "phone": "13812345678",
    "address": "赤坎鎮南村中街12號",
    "contact_person": "李社工",
    "contact_person_phone": "13900001111",
    "refusal_reason": "兒子王大明不同意上門",
}
IDENTITY_MASKED: Final = {
    "name": "王*明",
    "phone": "138****5678",
    "address": "赤坎鎮南村…",
    "contact_person": "李*工",
    "contact_person_phone": "139****1111",
    "refusal_reason": "…",
}
CONTACT: Final = {"name": "王大明", "phone": "13700002222"}
CONTACT_MASKED: Final = {"name": "王*明", "phone": "137****2222"}
VIEWER_SHOWN_MASKED: Final = {k: v for k, v in IDENTITY_MASKED.items() if k != "address"}
VISIT_NOTES: Final = {
    "visitor": "李社工",
    "findings": "兒子王大明說她血壓高",
    "follow_up_notes": "轉介社工",
}
VISIT_NOTES_MASKED: Final = {"visitor": "李*工", "findings": "…", "follow_up_notes": "…"}

READERS: Final = ("admin", "operator", "town_staff", "viewer")


@dataclass(frozen=True)
class Reader:
    """A role that may read the file, and its token."""

    role: str
    headers: dict[str, str]

    @property
    def sees_identity(self) -> bool:
        """Whether a single read shows identities (every reader but the viewer)."""
        return self.role != "viewer"


def _identity(body: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    return {key: body[key] for key in fields}


async def _headers(role: str, admin: dict[str, str], make_token: TokenMaker) -> dict[str, str]:
    if role == "admin":
        return admin
    if role == "town_staff":
        return bearer(await make_token("town_staff", town="赤坎鎮"))
    if role == "other_town_staff":
        return bearer(await make_token("town_staff", town="水口鎮"))
    return bearer(await make_token(role))


@pytest.fixture(params=READERS)
async def reader(
    request: pytest.FixtureRequest,
    on_file: None,
    admin: dict[str, str],
    make_token: TokenMaker,
) -> Reader:
    """Each role that may read the file, with the file of ``on_file`` in place."""
    role: str = request.param
    return Reader(role, await _headers(role, admin, make_token))


@pytest.fixture
async def on_file(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """One elder of 赤坎鎮 with every identity field, a changed phone (history), an
    emergency contact and a visit this month with notes."""
    body = elder_body(ELDER, visit_consent=False, **IDENTITY, **HEALTH)
    assert (await client.post(f"{API}/elders", json=body, headers=admin)).status_code == 201
    patched = await client.patch(
        f"{API}/elders/{ELDER}", json={"phone": "13812340000"}, headers=admin
    )
    assert patched.status_code == 200
    back = await client.patch(
        f"{API}/elders/{ELDER}", json={"phone": IDENTITY["phone"]}, headers=admin
    )
    assert back.status_code == 200
    contact = {**CONTACT, "relation": "child"}
    added = await client.post(f"{API}/elders/{ELDER}/contacts", json=contact, headers=admin)
    assert added.status_code == 201
    visit = {
        "elder_id": ELDER,
        "method": "phone",
        "visited_at": (datetime.now(TZ) - timedelta(minutes=1)).isoformat(),
        **VISIT_NOTES,
    }
    assert (await client.post(f"{API}/visits", json=visit, headers=admin)).status_code == 201


# What a viewer never sees of a file: it is shown as an age band, or not at all.
VIEWER_WITHHELD: Final = frozenset(
    {
        "birth_date",
        "village",
        "address",
        "incapacitated",
        "dementia",
        "disability_level",
        "low_income",
        "family_planning_special",
        "couple_with_dependent",
        "cares_for_dependent_child",
        "category_override",
        "inactivity_alert_after_minutes",
        "category_reason",
    }
)
VIEWER_FIELDS: Final = frozenset(
    {
        "id",
        "name",
        "gender",
        "age_band",
        "town",
        "phone",
        "living_arrangement",
        "visit_consent",
        "refusal_reason",
        "refusal_date",
        "contact_person",
        "contact_person_phone",
        "filed_on",
        "category",
        "created_at",
        "updated_at",
        "masked",
        "no_contact",
    }
)
HEALTH: Final = {"dementia": True, "low_income": True, "disability_level": "severe"}


def _age_band() -> str:
    """The band of the fixture's birth date (1941-05-02) today."""
    today = datetime.now(TZ).date()
    age = today.year - 1941 - ((today.month, today.day) < (5, 2))
    return f"{age // 5 * 5}-{age // 5 * 5 + 4}"


async def test_a_single_file_shows_identity_to_every_reader_but_the_viewer(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    got = (await client.get(f"{API}/elders/{ELDER}", headers=headers)).json()
    if reader.sees_identity:
        assert _identity(got, IDENTITY) == IDENTITY
    else:
        shown = {k: v for k, v in IDENTITY_MASKED.items() if k != "address"}
        assert _identity(got, shown) == shown
    assert got["masked"] is not reader.sees_identity
    assert got["no_contact"] is False


async def test_a_viewer_sees_an_age_band_and_no_birth_date_village_health_or_reason(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    single = (await client.get(f"{API}/elders/{ELDER}", headers=headers)).json()
    (listed,) = (await client.get(f"{API}/elders", headers=headers)).json()["items"]
    for got in (single, listed):
        assert got["age_band"] == _age_band()
        if reader.sees_identity:
            assert set(got) >= VIEWER_WITHHELD
            assert (got["birth_date"], got["village"]) == ("1941-05-02", "南村")
            assert {k: got[k] for k in HEALTH} == HEALTH
            assert got["category_reason"]
        else:
            assert set(got) == VIEWER_FIELDS
            assert (got["category"], got["living_arrangement"]) == ("A", "alone")


async def test_a_viewer_gets_the_compliance_without_the_categorys_reason(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    got = (await client.get(f"{API}/elders/{ELDER}/compliance", headers=reader.headers)).json()
    assert got["category"] == "A"
    assert (got["category_reason"] is None) is not reader.sees_identity


async def test_the_elder_list_masks_identity_for_every_role(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    (item,) = (await client.get(f"{API}/elders", headers=headers)).json()["items"]
    shown = IDENTITY_MASKED if reader.sees_identity else VIEWER_SHOWN_MASKED
    assert _identity(item, shown) == shown
    assert (item["masked"], item["no_contact"]) == (True, None)


async def test_contacts_show_name_and_phone_to_every_reader_but_the_viewer(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    (contact,) = (await client.get(f"{API}/elders/{ELDER}/contacts", headers=headers)).json()
    assert _identity(contact, CONTACT) == (CONTACT if reader.sees_identity else CONTACT_MASKED)
    assert (contact["relation"], contact["relation_zh"], contact["order"]) == ("child", "子女", 1)


async def test_visits_and_compliance_show_visitor_and_notes_to_every_reader_but_the_viewer(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    expected = VISIT_NOTES if reader.sees_identity else VISIT_NOTES_MASKED
    (listed,) = (await client.get(f"{API}/elders/{ELDER}/visits", headers=headers)).json()["items"]
    compliance = await client.get(f"{API}/elders/{ELDER}/compliance", headers=headers)
    (in_month,) = compliance.json()["visits"]
    for shown in (listed, in_month):
        assert _identity(shown, VISIT_NOTES) == expected
        assert (shown["method"], shown["source"], shown["recorded_by"]) == (
            "phone",
            "manual",
            "admin",
        )
    assert compliance.json()["month"] == str(Month.of(datetime.now(TZ).date()))


async def test_the_due_list_shows_the_contact_person_to_every_reader_but_the_viewer(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    (item,) = (await client.get(f"{API}/visits/due", headers=headers)).json()["items"]
    expected = (
        IDENTITY["contact_person"] if reader.sees_identity else IDENTITY_MASKED["contact_person"]
    )
    assert (item["elder_id"], item["contact_person"], item["visit_consent"]) == (
        ELDER,
        expected,
        False,
    )
    # The visitor looks for a person in a village, not for an id; a viewer as on the file.
    if reader.sees_identity:
        assert (item["name"], item["village"]) == (IDENTITY["name"], "南村")
    else:
        assert (item["name"], item["village"]) == (IDENTITY_MASKED["name"], None)
    assert set(item) == {
        "elder_id",
        "name",
        "village",
        "town",
        "category",
        "needs",
        "overdue",
        "next_in_home_due",
        "visit_consent",
        "contact_person",
        "last_visit_at",
        "last_visit_method",
        "last_in_home_at",
    }


@pytest.mark.parametrize("reader", ["admin", "operator", "town_staff"], indirect=True)
async def test_history_shows_the_changed_values_to_roles_that_see_identity(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    got = (await client.get(f"{API}/elders/{ELDER}/history", headers=headers)).json()
    assert [c["operation"] for c in got] == ["update", "update", "insert"]
    assert got[0]["changes"]["phone"] == {"before": "13812340000", "after": IDENTITY["phone"]}
    assert got[0]["changed_by"] == "admin"


@pytest.mark.usefixtures("on_file")
async def test_a_viewer_may_not_read_the_history_that_holds_unmasked_values(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    viewer = bearer(await make_token("viewer"))
    response = await client.get(f"{API}/elders/{ELDER}/history", headers=viewer)
    assert response.status_code == 403
    assert "13812340000" not in response.text


@pytest.mark.usefixtures("on_file")
async def test_another_towns_staff_see_nothing_of_the_elder(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    headers = await _headers("other_town_staff", admin, make_token)
    for path in ("", "/contacts", "/visits", "/compliance", "/history"):
        response = await client.get(f"{API}/elders/{ELDER}{path}", headers=headers)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "this elder belongs to another town"}, path
    for path in ("/elders", "/visits/due"):
        assert (await client.get(f"{API}{path}", headers=headers)).json()["items"] == [], path


async def test_the_monthly_report_holds_figures_and_no_identity_for_any_role(
    client: httpx.AsyncClient, reader: Reader
) -> None:
    headers = reader.headers
    for fmt in ("json", "csv"):
        response = await client.get(
            f"{API}/reports/monthly", params={"format": fmt}, headers=headers
        )
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        for value in [*IDENTITY.values(), *CONTACT.values(), *VISIT_NOTES.values()]:
            assert value not in text, (fmt, value)
    body = (await client.get(f"{API}/reports/monthly", headers=headers)).json()
    assert [(row["town"], row["visits_phone"]) for row in body["towns"]] == [("赤坎鎮", 1)]


@pytest.mark.parametrize("role", ["admin", "town_staff"])
async def test_writers_get_back_what_they_wrote_unmasked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, role: str
) -> None:
    headers = await _headers(role, admin, make_token)
    body = elder_body(ELDER, visit_consent=False, **IDENTITY)
    created = (await client.post(f"{API}/elders", json=body, headers=headers)).json()
    assert (_identity(created, IDENTITY), created["masked"]) == (IDENTITY, False)
    patched = await client.patch(f"{API}/elders/{ELDER}", json={"village": "北村"}, headers=headers)
    assert (_identity(patched.json(), IDENTITY), patched.json()["masked"]) == (IDENTITY, False)
    contact = {**CONTACT, "relation": "child"}
    (added,) = (
        await client.post(f"{API}/elders/{ELDER}/contacts", json=contact, headers=headers)
    ).json()
    assert _identity(added, CONTACT) == CONTACT
    visit = {
        "elder_id": ELDER,
        "method": "in_home",
        "visited_at": datetime.now(TZ).isoformat(),
        **VISIT_NOTES,
    }
    recorded = (await client.post(f"{API}/visits", json=visit, headers=headers)).json()
    assert _identity(recorded, VISIT_NOTES) == VISIT_NOTES


@pytest.mark.usefixtures("on_file")
async def test_the_compliance_answer_keeps_its_fields(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    got = (await client.get(f"{API}/elders/{ELDER}/compliance", headers=admin)).json()
    assert set(got) == {
        "elder_id",
        "month",
        "as_of",
        "category",
        "category_reason",
        "monthly_visit_met",
        "in_home_met",
        "plan_minimum_met",
        "compliant",
        "visits",
        "last_in_home_at",
        "next_in_home_due",
        "in_home_overdue",
        "watch",
    }
    assert (got["elder_id"], got["monthly_visit_met"], got["in_home_met"]) == (ELDER, True, False)


async def test_use_case_refusals_keep_their_exact_error_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    for path in ("", "/contacts", "/visits", "/compliance", "/history"):
        missing = await client.get(f"{API}/elders/KP-404{path}", headers=admin)
        assert (missing.status_code, missing.json()) == (404, {"detail": "no such elder"}), path
    missing = await client.patch(f"{API}/elders/KP-404", json={"village": "x"}, headers=admin)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such elder"})
    staff = bearer(await make_token("town_staff", town="赤坎鎮"))
    elsewhere = await client.post(
        f"{API}/elders", json=elder_body("KP-2", town="水口鎮"), headers=staff
    )
    assert (elsewhere.status_code, elsewhere.json()) == (
        403,
        {"detail": "this elder belongs to another town"},
    )
    listed = await client.get(f"{API}/visits/due", params={"town": "水口鎮"}, headers=staff)
    assert listed.json() == {"detail": "this token may only see its own town"}
    visit = {
        "elder_id": "KP-404",
        "method": "phone",
        "visited_at": "2026-01-01T10:00:00+08:00",
        "visitor": "李社工",
    }
    unknown = await client.post(f"{API}/visits", json=visit, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "elder_id"],
            "msg": "no elder with this id is on file",
            "input": "KP-404",
        },
    ]
    refusal = await client.post(
        f"{API}/elders", json=elder_body("KP-3", visit_consent=False), headers=admin
    )
    assert refusal.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "refusal_reason"],
            "msg": "a refusal of visits needs its reason",
            "input": None,
        },
    ]
    bad_month = await client.get(f"{API}/reports/monthly", params={"month": "May"}, headers=admin)
    assert bad_month.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["query", "month"],
            "msg": "month must be written YYYY-MM",
            "input": "May",
        },
    ]
    assert (
        await client.post(f"{API}/elders", json=elder_body("KP-5"), headers=admin)
    ).status_code == 201
    duplicate = await client.post(f"{API}/elders", json=elder_body("KP-5"), headers=admin)
    assert (duplicate.status_code, duplicate.json()) == (
        409,
        {"detail": "an elder with this id is on file"},
    )


FLEET_READERS: Final = ("admin", "operator", "viewer")
DOOR_EVENT: Final = '{"ts": "2026-11-29T07:15:00+08:00", "kind": "door", "value": 1}'


@pytest.fixture
async def fleet(client: httpx.AsyncClient, admin: dict[str, str], database_url: str) -> None:
    """A door sensor in the elder's home that has sent an event (its last_seen set as the
    gateway sets it) and one message that was refused."""
    device = {"id": "door-1", "type": "door_sensor", "elder_id": ELDER, "room": "entrance"}
    assert (await client.post(f"{API}/devices", json=device, headers=admin)).status_code == 201
    await execute(
        database_url,
        "INSERT INTO events (device_id, ts, seq, kind, value, flags, received_at)"
        " VALUES ('door-1', '2026-11-29T07:15:00+08:00', 1, 'door', 1, '{}', now())",
    )
    await execute(
        database_url,
        "UPDATE devices SET last_seen = '2026-11-29T07:15:00+08:00',"
        " status_changed_at = '2026-11-29T07:00:00+08:00' WHERE id = 'door-1'",
    )
    await execute(
        database_url,
        "INSERT INTO dead_letters (topic, device_id, reason, detail, payload, payload_size)"
        " VALUES ('tanfang/v1/dev/door-1/events', 'door-1', 'bad_value', 'value 7', %s, %s)",
        (DOOR_EVENT.replace("1}", "7}").encode(), len(DOOR_EVENT)),
    )


@pytest.mark.usefixtures("on_file", "fleet")
@pytest.mark.parametrize("role", FLEET_READERS)
async def test_only_a_viewer_is_refused_a_devices_events(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, role: str
) -> None:
    headers = await _headers(role, admin, make_token)
    response = await client.get(f"{API}/devices/door-1/events", headers=headers)
    if role == "viewer":
        assert response.status_code == 403
        assert "07:15" not in response.text
    else:
        assert response.status_code == 200
        assert [(e["kind"], e["value"]) for e in response.json()] == [("door", 1.0)]


@pytest.mark.usefixtures("on_file", "fleet")
@pytest.mark.parametrize("role", FLEET_READERS)
async def test_a_viewer_sees_devices_without_when_they_were_last_heard_from(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, role: str
) -> None:
    headers = await _headers(role, admin, make_token)
    single = (await client.get(f"{API}/devices/door-1", headers=headers)).json()
    (listed,) = (await client.get(f"{API}/devices", headers=headers)).json()["items"]
    for got in (single, listed):
        assert (got["elder_id"], got["room"]) == (ELDER, "entrance")
        times = (got["last_seen"], got["status_changed_at"])
        if role == "viewer":
            assert times == (None, None)
        else:
            assert None not in times


@pytest.mark.usefixtures("on_file", "fleet")
@pytest.mark.parametrize("role", FLEET_READERS)
async def test_a_viewer_sees_dead_letters_without_their_payload(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker, role: str
) -> None:
    headers = await _headers(role, admin, make_token)
    (letter,) = (await client.get(f"{API}/dead-letters", headers=headers)).json()["items"]
    assert (letter["device_id"], letter["reason"]) == ("door-1", "bad_value")
    if role == "viewer":
        assert (letter["payload"], letter["detail"]) == ("…", None)
    else:
        assert "07:15" in letter["payload"]


@pytest.mark.usefixtures("on_file", "fleet")
async def test_town_staff_read_the_events_of_their_towns_homes_and_no_other_fleet_route(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    own = await _headers("town_staff", admin, make_token)
    events = await client.get(f"{API}/devices/door-1/events", headers=own)
    assert events.status_code == 200
    assert [(e["kind"], e["value"]) for e in events.json()] == [("door", 1.0)]
    for path in ("/devices", "/devices/door-1", "/dead-letters"):
        assert (await client.get(f"{API}{path}", headers=own)).status_code == 403, path


@pytest.mark.usefixtures("on_file", "fleet")
async def test_another_towns_staff_are_refused_the_fleet_and_the_events(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    elsewhere = await _headers("other_town_staff", admin, make_token)
    for path in ("/devices", "/devices/door-1", "/devices/door-1/events", "/dead-letters"):
        response = await client.get(f"{API}{path}", headers=elsewhere)
        assert response.status_code == 403, path
        assert "07:15" not in response.text
