"""Dead-letter replay: the API on the gateway's real decode and write path, as the
composition root wires it, against the real database (and the real gateway and broker for
letters refused live)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from api.app import create_app
from devices.schema import events_topic
from tanfang import runtime
from tanfang.settings import Settings
from tests.api.conftest import TokenMaker, elder_body, execute
from tests.gateway.helpers import Publisher, fetch, poll, running_gateway, scalar
from tests.rig.ports import free_port

REPLAY = "/api/v1/dead-letters/replay"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The API with the replayer ``tanfang api`` and ``tanfang serve`` give it."""
    application = create_app(settings, replayer=lambda pool: runtime.build_replayer(settings, pool))
    async with application.router.lifespan_context(application):
        yield application


async def register(
    client: httpx.AsyncClient, admin: dict[str, str], device_id: str, device_type: str
) -> None:
    elder = await client.post("/api/v1/elders", json=elder_body("KP-7"), headers=admin)
    assert elder.status_code in {201, 409}, elder.text
    body = {"id": device_id, "type": device_type, "elder_id": "KP-7"}
    response = await client.post("/api/v1/devices", json=body, headers=admin)
    assert response.status_code == 201, response.text


async def refused(
    database_url: str,
    topic_root: str,
    device_id: str,
    payload: bytes,
    *,
    received_at: datetime,
    reason: str = "unknown_device",
    kept: int | None = None,
) -> None:
    """A dead letter as the gateway writes it (``kept``: bytes of the payload kept)."""
    await execute(
        database_url,
        "INSERT INTO dead_letters (received_at, topic, device_id, reason, detail, payload,"
        " payload_size) VALUES (%s, %s, %s, %s, 'device is not registered', %s, %s)",
        (
            received_at,
            events_topic(topic_root, device_id),
            device_id,
            reason,
            payload[:kept],
            len(payload),
        ),
    )


def all_stored(*, replayed: int, stored_events: int) -> dict[str, object]:
    """A replay's answer when no letter was refused again."""
    return {
        "replayed": replayed,
        "stored_events": stored_events,
        "still_refused": 0,
        "by_reason": {},
    }


async def replay(
    client: httpx.AsyncClient, headers: dict[str, str], **selection: Any
) -> dict[str, Any]:
    response = await client.post(REPLAY, json=selection, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_events_of_a_device_registered_late_are_stored_at_their_original_receive_time(
    settings: Settings,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    database_url: str,
    topic_root: str,
    publisher: Publisher,
) -> None:
    seen = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    async with running_gateway(settings):
        publisher.publish(events_topic(topic_root, "pir-late"), b'{"kind": "motion", "seq": 1}')
        publisher.publish(
            events_topic(topic_root, "pir-late"),
            orjson.dumps(
                [{"kind": "heartbeat", "seq": 2, "ts": seen}, {"kind": "tamper", "value": 1}]
            ),
        )
        letters = await poll(
            lambda: fetch(database_url, "SELECT received_at FROM dead_letters ORDER BY id"),
            lambda rows: len(rows) == 2,
        )
    await register(client, admin, "pir-late", "motion_sensor")

    answer = await replay(client, admin, device_id="pir-late")

    assert answer == all_stored(replayed=2, stored_events=3)
    rows = await fetch(
        database_url, "SELECT seq, kind, ts, received_at, flags, elder_id FROM events ORDER BY seq"
    )
    first, second = letters[0][0], letters[1][0]
    assert rows == [
        (1, "motion", first, first, ["no_device_time"], "KP-7"),
        (2, "heartbeat", datetime.fromisoformat(seen), second, [], "KP-7"),
        (None, "tamper", second, second, ["no_device_time"], "KP-7"),
    ]
    assert (await client.get("/api/v1/dead-letters", headers=admin)).json()["items"] == []


async def test_replaying_twice_or_two_letters_of_one_event_stores_it_once(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, topic_root: str
) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    press = orjson.dumps({"kind": "motion", "seq": 9, "ts": at.isoformat()})
    for _ in range(2):  # the device sent it again when it got no answer
        await refused(database_url, topic_root, "pir-2", press, received_at=at)
    await register(client, admin, "pir-2", "motion_sensor")

    assert await replay(client, admin) == all_stored(replayed=2, stored_events=1)
    await refused(database_url, topic_root, "pir-2", press, received_at=at)
    assert await replay(client, admin) == all_stored(replayed=1, stored_events=0)
    assert await replay(client, admin) == all_stored(replayed=0, stored_events=0)
    assert await scalar(database_url, "SELECT count(*) FROM events") == 1


async def test_a_replayed_checkin_becomes_an_online_visit(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, topic_root: str
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=10)
    press = orjson.dumps({"kind": "checkin", "seq": 1, "ts": at.isoformat()})
    await refused(database_url, topic_root, "pat-1", press, received_at=at)
    await register(client, admin, "pat-1", "sos_button")
    letter = await scalar(database_url, "SELECT id FROM dead_letters")

    answer = await replay(client, admin, ids=[letter])

    assert answer["stored_events"] == 1
    visits = await fetch(
        database_url, "SELECT elder_id, method, source, source_device_id, visited_at FROM visits"
    )
    assert visits == [("KP-7", "online", "checkin", "pat-1", at)]


async def test_what_is_still_refused_stays_with_its_reason_of_now_and_a_cut_payload_as_it_was(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, topic_root: str
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    await refused(database_url, topic_root, "pir-3", b'{"kind": "checkin"}', received_at=at)
    await refused(database_url, topic_root, "nobody", b'{"kind": "motion"}', received_at=at)
    big = orjson.dumps({"kind": "motion", "pad": "x" * 100})
    await refused(database_url, topic_root, "pir-3", big, received_at=at, kept=40)
    await register(client, admin, "pir-3", "motion_sensor")

    answer = await replay(client, admin)

    assert answer == {
        "replayed": 3,
        "stored_events": 0,
        "still_refused": 3,
        "by_reason": {"kind_not_allowed": 1, "truncated": 1, "unknown_device": 1},
    }
    rows = await fetch(database_url, "SELECT device_id, reason FROM dead_letters ORDER BY id")
    assert rows == [
        ("pir-3", "kind_not_allowed"),
        ("nobody", "unknown_device"),
        ("pir-3", "unknown_device"),
    ]
    assert await scalar(database_url, "SELECT count(*) FROM visits") == 0


async def test_a_replay_is_written_to_the_audit_log(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str
) -> None:
    await replay(client, admin, reason="unknown_device")
    rows = await fetch(database_url, "SELECT actor, action, entity, detail FROM audit_log")
    assert ("admin", "replay", "dead_letters") in [r[:3] for r in rows]
    detail = next(r[3] for r in rows if r[1] == "replay")
    assert detail["selection"] == {"reason": "unknown_device"}
    assert detail["result"]["replayed"] == 0


@pytest.mark.parametrize("role", ["operator", "viewer"])
async def test_only_an_admin_may_replay(
    client: httpx.AsyncClient,
    make_token: TokenMaker,
    database_url: str,
    topic_root: str,
    role: str,
) -> None:
    at = datetime.now(UTC)
    await refused(database_url, topic_root, "pir-4", b'{"kind": "motion"}', received_at=at)
    token = await make_token(role)
    response = await client.post(REPLAY, json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert await scalar(database_url, "SELECT count(*) FROM dead_letters") == 1


async def test_a_selection_with_an_unknown_field_or_no_ids_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    bodies: list[dict[str, Any]] = [{"device": "x"}, {"ids": []}, {"reason": "sleepy"}]
    for body in bodies:
        response = await client.post(REPLAY, json=body, headers=admin)
        assert response.status_code == 422, body


async def test_the_api_alone_replays_on_the_gateways_write_path(
    settings: Settings, admin: dict[str, str], database_url: str, topic_root: str
) -> None:
    """As ``tanfang api`` runs it: no gateway, no MQTT session in the process."""
    at = datetime.now(UTC) - timedelta(minutes=3)
    press = orjson.dumps({"kind": "checkin", "seq": 5, "ts": at.isoformat()})
    await refused(database_url, topic_root, "pat-5", press, received_at=at)
    alone = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": free_port()})
    stop = asyncio.Event()
    answers: list[httpx.Response] = []

    async def started() -> None:
        base = f"http://127.0.0.1:{alone.api_port}"
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                await register(client, admin, "pat-5", "sos_button")
                answers.append(await client.post(REPLAY, json={}, headers=admin))
        finally:
            stop.set()

    await asyncio.wait_for(
        runtime.run(alone, gateway=False, api=True, stop=stop, api_started=started), timeout=60
    )
    assert [a.json()["stored_events"] for a in answers] == [1]
    assert await scalar(database_url, "SELECT count(*) FROM visits") == 1


async def test_a_replayed_sos_of_an_unexpected_type_is_stored_flagged_not_refused(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, topic_root: str
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    await refused(database_url, topic_root, "door-9", b'{"kind": "sos"}', received_at=at)
    await register(client, admin, "door-9", "door_sensor")

    assert (await replay(client, admin))["stored_events"] == 1

    rows = await fetch(database_url, "SELECT kind, ts, flags FROM events")
    assert rows == [("sos", at, ["no_device_time", "kind_unexpected"])]
