"""Foreign sources through the real broker, gateway, API and database: a zigbee2mqtt stream
of a bound home stored as contract events (a smoke alarm opening its critical alert), an
address bound to no device listed and replayed once on binding, a poison payload kept as a
dead letter while the gateway goes on, and the kinds-per-type check applied as to native
devices. The adapter is the installed zigbee2mqtt one, or ``tests.gateway.z2m_fixture``."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from store.pool import Pool
from tanfang.settings import Settings
from tests.api.conftest import bearer
from tests.gateway.foreign_rig import api, bind, bind_one, foreign_settings, gateway
from tests.gateway.helpers import Publisher, fetch, poll, running, scalar

IEEE = "0x00158d0001a2b3c4"


async def events_of(url: str, device_id: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT kind, value, extra ->> 'source' FROM events WHERE device_id = %s"
        " ORDER BY received_at, ts",
        (device_id,),
    )


async def letters(url: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT reason, source_kind, source_address, device_id FROM dead_letters ORDER BY id",
    )


def state(publisher: Publisher, settings: Settings, name: str, body: object) -> None:
    topic = f"{settings.zigbee2mqtt_base_topic}/{name}"
    publisher.publish(topic, body if isinstance(body, bytes) else orjson.dumps(body))


async def test_a_zigbee2mqtt_home_is_stored_as_contract_events_and_smoke_opens_an_alert(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    base = settings.zigbee2mqtt_base_topic
    async with api(settings) as client:
        # Bound by IEEE address: its messages come under its friendly name (an alias).
        door = {"kind": "zigbee2mqtt", "address": IEEE}
        assert (await bind(client, admin_token, "door-1", "door_sensor", door)).is_success
        motion = {"kind": "zigbee2mqtt", "address": "hall_motion"}
        assert (await bind(client, admin_token, "pir-1", "motion_sensor", motion)).is_success
        smoke = {"kind": "zigbee2mqtt", "address": "kitchen_smoke"}
        assert (await bind(client, admin_token, "smk-1", "smoke_detector", smoke)).is_success
    async with running(gateway(settings, pool)):
        bridge = [{"ieee_address": IEEE, "friendly_name": "front_door", "type": "EndDevice"}]
        publisher.publish(f"{base}/bridge/devices", orjson.dumps(bridge), retain=True)
        state(publisher, settings, "front_door", {"contact": False, "battery": 91})
        state(publisher, settings, "front_door", {"contact": True, "battery": 91})
        state(publisher, settings, "hall_motion", {"occupancy": True, "linkquality": 120})
        state(publisher, settings, "hall_motion", {"occupancy": True, "linkquality": 96})
        state(publisher, settings, "kitchen_smoke", {"smoke": True, "battery": 80})
        publisher.publish(f"{base}/front_door/availability", b'{"state": "offline"}')
        await poll(
            lambda: fetch(database_url, "SELECT type, device_id, severity, status FROM alerts"),
            lambda rows: rows == [("smoke", "smk-1", "critical", "open")],
            what="the smoke alarm's critical alert",
        )
        await poll(
            lambda: events_of(database_url, "door-1"),
            lambda rows: len(rows) == 2,
            what="the door's two edges",
        )
        await poll(
            lambda: scalar(database_url, "SELECT online FROM devices WHERE id = 'door-1'"),
            lambda online: online is False,
            what="the door sensor offline by its availability",
        )
    assert await events_of(database_url, "door-1") == [
        ("door", 1.0, "zigbee2mqtt"),  # contact false: open
        ("door", 0.0, "zigbee2mqtt"),
    ]
    # Two reports of one occupancy: one motion (an edge, not a level).
    assert await events_of(database_url, "pir-1") == [("motion", 1.0, "zigbee2mqtt")]
    assert await events_of(database_url, "smk-1") == [("smoke", 1.0, "zigbee2mqtt")]
    battery = await scalar(database_url, "SELECT battery FROM devices WHERE id = 'door-1'")
    assert battery == 91
    assert await letters(database_url) == []


async def test_a_water_leak_is_stored_as_a_leak_event(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    await bind_one(settings, admin_token, "env-1", "env_sensor", "bathroom_leak")
    async with running(gateway(settings, pool)):
        state(publisher, settings, "bathroom_leak", {"water_leak": True, "battery": 70})
        rows = await poll(lambda: events_of(database_url, "env-1"), bool, what="the leak")
    assert rows == [("leak", 1.0, "zigbee2mqtt")]


async def test_an_unbound_address_is_listed_then_bound_and_its_events_replayed_once(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    admin = bearer(admin_token)
    async with api(settings) as client, running(gateway(settings, pool)):
        state(publisher, settings, "bedroom_motion", {"occupancy": True, "battery": 64})
        await poll(
            lambda: letters(database_url),
            lambda rows: rows == [("unbound_source", "zigbee2mqtt", "bedroom_motion", None)],
            what="the unbound address's dead letter",
        )
        listed = (await client.get("/api/v1/fleet/unbound", headers=admin)).json()
        assert [(u["kind"], u["address"], u["count"]) for u in listed] == [
            ("zigbee2mqtt", "bedroom_motion", 1)
        ]
        assert '"occupancy"' in listed[0]["last_payload"]

        assert (await bind(client, admin_token, "pir-9", "motion_sensor", None)).is_success
        source = {"source": {"kind": "zigbee2mqtt", "address": "bedroom_motion"}}
        patched = await client.patch("/api/v1/devices/pir-9", json=source, headers=admin)
        assert patched.status_code == 200, patched.text
        assert patched.json()["source"] == source["source"]
        assert await events_of(database_url, "pir-9") == [("motion", 1.0, "zigbee2mqtt")]
        assert await letters(database_url) == []
        assert (await client.get("/api/v1/fleet/unbound", headers=admin)).json() == []
        again = await client.patch("/api/v1/devices/pir-9", json=source, headers=admin)
        assert again.status_code == 200
        assert len(await events_of(database_url, "pir-9")) == 1  # replayed once

        # From the binding on, its live messages reach the device.
        state(publisher, settings, "bedroom_motion", {"occupancy": False})
        state(publisher, settings, "bedroom_motion", {"occupancy": True})
        await poll(
            lambda: events_of(database_url, "pir-9"),
            lambda rows: len(rows) == 2,
            what="the live motion after binding",
        )
    assert await letters(database_url) == []


async def test_a_poison_payload_is_a_dead_letter_and_the_gateway_goes_on(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    await bind_one(settings, admin_token, "smk-2", "smoke_detector", "hall_smoke")
    async with running(gateway(settings, pool)):
        state(publisher, settings, "hall_smoke", b"\xff{not json")
        state(publisher, settings, "hall_smoke", b"[1, 2]")
        state(publisher, settings, "hall_smoke", {"smoke": False, "battery": 55})
        await poll(
            lambda: events_of(database_url, "smk-2"), bool, what="the good message after poison"
        )
        rows = await poll(
            lambda: letters(database_url), lambda rows: len(rows) == 2, what="two letters"
        )
    assert {row[:3] for row in rows} == {("source_refused", "zigbee2mqtt", "hall_smoke")}
    assert await events_of(database_url, "smk-2") == [("smoke", 0.0, "zigbee2mqtt")]
    assert await scalar(database_url, "SELECT count(*) FROM alerts") == 0


async def test_a_kind_the_bound_type_does_not_send_is_treated_as_a_native_ones(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    await bind_one(settings, admin_token, "door-2", "door_sensor", "odd_door")
    async with running(gateway(settings, pool)):
        # A door sensor does not send motion: refused. Smoke from it is an emergency all the
        # same: stored, flagged, and its alert opened (a wrong registration never silences).
        state(publisher, settings, "odd_door", {"occupancy": True})
        state(publisher, settings, "odd_door", {"smoke": True})
        await poll(
            lambda: fetch(database_url, "SELECT type, device_id FROM alerts"),
            lambda rows: rows == [("smoke", "door-2")],
            what="the smoke alert of a door sensor",
        )
        rows = await poll(lambda: letters(database_url), bool, what="the refused motion")
    assert rows == [("kind_not_allowed", "zigbee2mqtt", "odd_door", "door-2")]
    flags = await scalar(database_url, "SELECT flags FROM events WHERE device_id = 'door-2'")
    assert "kind_unexpected" in flags


async def test_a_gateway_of_a_shared_group_with_slots_reads_the_sources_topics_too(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings).model_copy(
        update={"shared_group": f"g{uuid.uuid4().hex[:8]}", "gateway_slots": 2}
    )
    await bind_one(settings, admin_token, "door-5", "door_sensor", "back_door")
    async with running(gateway(settings, pool)) as gw:
        assert gw.slots is not None
        state(publisher, settings, "back_door", {"contact": False})
        rows = await poll(lambda: events_of(database_url, "door-5"), bool, what="the door")
    assert rows == [("door", 1.0, "zigbee2mqtt")]


async def test_a_foreign_event_refused_for_its_type_is_replayed_once_the_type_is_corrected(
    settings: Settings, pool: Pool, database_url: str, admin_token: str, publisher: Publisher
) -> None:
    settings = foreign_settings(settings)
    await bind_one(settings, admin_token, "pir-3", "door_sensor", "landing")  # mistyped
    async with running(gateway(settings, pool)):
        state(publisher, settings, "landing", {"occupancy": True})
        await poll(lambda: letters(database_url), bool, what="the refused motion")
    admin = bearer(admin_token)
    async with api(settings) as client:
        fixed = {"type": "motion_sensor"}
        assert (await client.patch("/api/v1/devices/pir-3", json=fixed, headers=admin)).is_success
        replay = {"device_id": "pir-3"}
        done = await client.post("/api/v1/dead-letters/replay", json=replay, headers=admin)
        assert done.json()["stored_events"] == 1, done.text
    assert await events_of(database_url, "pir-3") == [("motion", 1.0, "zigbee2mqtt")]
    assert await letters(database_url) == []
