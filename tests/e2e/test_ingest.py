"""Ingest end to end: a device publishes to the real Mosquitto, the gateway stores in the real
PostgreSQL. Every refusal is a dead letter with its reason, and good events keep flowing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson

from devices.schema import MAX_PAYLOAD_BYTES
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, running_gateway, scalar

DEVICE = "pat-7f3a"


def events_topic(root: str, device: str = DEVICE) -> str:
    return f"{root}/dev/{device}/events"


def status_topic(root: str, device: str = DEVICE) -> str:
    return f"{root}/dev/{device}/status"


async def count(url: str, query: str = "SELECT count(*) FROM events") -> int:
    return int(await scalar(url, query))


async def test_single_events_and_arrays_are_stored_with_their_fields(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE], elder_id="KP-000123")
    ts = datetime.now(UTC).replace(microsecond=120_000) - timedelta(seconds=30)
    async with running_gateway(settings):
        one = {"ts": ts.isoformat(), "seq": 1042, "kind": "tamper", "value": 1, "battery": 87}
        publisher.publish(events_topic(topic_root), orjson.dumps({**one, "room": "entrance"}))
        many = [
            {"ts": (ts + timedelta(seconds=i)).timestamp(), "seq": 2000 + i, "kind": "motion"}
            for i in range(1, 4)
        ]
        publisher.publish(events_topic(topic_root), orjson.dumps(many))
        await poll(lambda: count(database_url), lambda n: n == 4, what="4 events stored")

    rows = await fetch(
        database_url,
        "SELECT device_id, ts, seq, kind, value, battery, elder_id, extra, flags"
        " FROM events ORDER BY seq",
    )
    assert rows[0] == (DEVICE, ts, 1042, "tamper", 1.0, 87, "KP-000123", {"room": "entrance"}, [])
    assert [(r[2], r[3], r[4]) for r in rows[1:]] == [
        (2001, "motion", 1.0),
        (2002, "motion", 1.0),
        (2003, "motion", 1.0),
    ]
    assert rows[3][1] == ts + timedelta(seconds=3)


async def test_same_device_ts_and_seq_published_twice_is_stored_once(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    event = orjson.dumps({"ts": datetime.now(UTC).isoformat(), "seq": 7, "kind": "motion"})
    async with running_gateway(settings) as gateway:
        publisher.publish(events_topic(topic_root), event)
        await poll(lambda: count(database_url), lambda n: n == 1)
        publisher.publish(events_topic(topic_root), event)
        # Same batch as well as across batches.
        publisher.publish(events_topic(topic_root), orjson.dumps([orjson.loads(event)] * 2))
        marker = orjson.dumps({"seq": 8, "kind": "heartbeat"})
        publisher.publish(events_topic(topic_root), marker)
        await poll(lambda: count(database_url), lambda n: n == 2, what="marker stored")
        assert gateway.health()["broker"] == {"connected": True, "subscribed": True, "inflight": 0}
    assert await count(database_url, "SELECT count(*) FROM events WHERE seq = 7") == 1


BAD_INPUTS = [
    ("not_json", DEVICE, b"{not json"),
    ("bad_shape", DEVICE, b"[]"),
    ("bad_shape", DEVICE, b"42"),
    ("unknown_kind", DEVICE, b'{"kind": "teleport"}'),
    ("bad_value", DEVICE, b'{"kind": "temperature", "value": "hot"}'),
    ("bad_value", DEVICE, b'{"kind": "door", "value": 7}'),
    # Over the gateway's 256 KiB, within the broker's packet limit (deploy/mosquitto.conf).
    ("too_large", DEVICE, b'{"kind": "motion", "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'),
    ("unknown_device", "nobody-knows-me", b'{"kind": "motion"}'),
    ("bad_topic", "x" * 65, b'{"kind": "motion"}'),
]
# A bad optional field never costs the event (devices.schema): it is stored, flagged, with
# what was sent kept in extra.
STORED_FLAGGED = [
    (b'{"kind": "motion", "ts": "yesterday", "seq": 2}', ["clock_skew"]),
    (b'{"kind": "motion", "battery": 400, "seq": 3}', ["no_device_time", "bad_field"]),
    (b'{"kind": "motion", "seq": -1}', ["no_device_time", "bad_field"]),
    # An extra field PostgreSQL cannot store as sent costs that field, not the event.
    (b'{"kind": "motion", "note": "nul \\u0000 inside"}', ["no_device_time", "unusable_field"]),
]


async def test_each_bad_input_is_a_dead_letter_with_its_reason_and_good_events_still_flow(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    async with running_gateway(settings) as gateway:
        for _, device, payload in BAD_INPUTS:
            publisher.publish(events_topic(topic_root, device), payload)
        publisher.publish(status_topic(topic_root), b"sleepy")
        for payload, _ in STORED_FLAGGED:
            publisher.publish(events_topic(topic_root), payload)
        publisher.publish(events_topic(topic_root), b'{"kind": "motion", "seq": 1}')
        stored = len(STORED_FLAGGED) + 1
        await poll(lambda: count(database_url), lambda n: n == stored, what="good events stored")
        await poll(
            lambda: count(database_url, "SELECT count(*) FROM dead_letters"),
            lambda n: n == len(BAD_INPUTS) + 1,
            what="every dead letter stored",
        )
        assert gateway.health()["broker"]["connected"] is True  # type: ignore[index]

    rows = await fetch(
        database_url,
        "SELECT reason, device_id, topic, payload, payload_size, detail FROM dead_letters"
        " ORDER BY id",
    )
    # Sorted: an unknown device's refusal waits for its lookup, so it lands in a later batch.
    assert sorted(r[0] for r in rows) == sorted([r for r, _, _ in BAD_INPUTS] + ["bad_status"])
    by_reason = {r[0]: r for r in rows}
    too_large = by_reason["too_large"]
    assert len(too_large[3]) == MAX_PAYLOAD_BYTES, "kept up to the broker's message limit"
    assert too_large[4] > MAX_PAYLOAD_BYTES
    assert by_reason["unknown_device"][1] == "nobody-knows-me"
    assert by_reason["bad_topic"][1] is None
    assert by_reason["bad_status"][2] == status_topic(topic_root)
    assert bytes(by_reason["bad_status"][3]) == b"sleepy"
    assert all(r[5] for r in rows), "every dead letter says why"
    flagged = await fetch(database_url, "SELECT flags FROM events WHERE seq IS DISTINCT FROM 1")
    assert sorted(r[0] for r in flagged) == sorted(flags for _, flags in STORED_FLAGGED)


async def test_a_bad_item_of_an_array_is_refused_alone(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    items = [{"kind": "motion", "seq": 1}, {"kind": "warp"}, {"kind": "heartbeat", "seq": 2}]
    async with running_gateway(settings):
        publisher.publish(events_topic(topic_root), orjson.dumps(items))
        await poll(lambda: count(database_url), lambda n: n == 2)
        await poll(lambda: count(database_url, "SELECT count(*) FROM dead_letters"), bool)
    rows = await fetch(database_url, "SELECT reason, detail FROM dead_letters")
    assert rows == [("unknown_kind", "item 1: unknown kind 'warp'")]


async def test_events_update_last_seen_battery_and_signal_of_the_device(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    now = datetime.now(UTC).replace(microsecond=0)
    older = {
        "ts": (now - timedelta(seconds=20)).isoformat(),
        "seq": 1,
        "kind": "motion",
        "battery": 90,
        "rssi": -40,
    }
    newer = {"ts": now.isoformat(), "seq": 2, "kind": "motion", "battery": 85, "rssi": -60}
    async with running_gateway(settings):
        publisher.publish(events_topic(topic_root), orjson.dumps([older, newer]))
        await poll(lambda: count(database_url), lambda n: n == 2)
        # A late redelivery of an older reading must not overwrite the newer one.
        late = {**older, "seq": 3, "battery": 99}
        publisher.publish(events_topic(topic_root), orjson.dumps(late))
        await poll(lambda: count(database_url), lambda n: n == 3)
    row = await fetch(
        database_url,
        "SELECT last_seen, battery, rssi, online, status FROM devices WHERE id = %s",
        [DEVICE],
    )
    assert row == [(now, 85, -60, True, "online")]


async def test_status_topic_and_last_will_set_the_device_online_and_offline(
    settings: Settings, database_url: str, mqtt_url: str, topic_root: str
) -> None:
    await register(database_url, [DEVICE])
    query = "SELECT online, status, status_changed_at IS NOT NULL FROM devices WHERE id = %s"

    async def state() -> list[tuple[object, ...]]:
        return await fetch(database_url, query, [DEVICE])

    device = Publisher(mqtt_url, client_id=f"dev-{uuid.uuid4().hex[:6]}")
    device.will(status_topic(topic_root), b"offline")
    device.connect()
    # Retained before the gateway starts: it arrives at subscribe time, and is the state.
    device.publish(status_topic(topic_root), b"online", retain=True)
    async with running_gateway(settings):
        await poll(state, lambda s: s == [(True, "online", True)], what="online")
        device.drop()  # no DISCONNECT: the broker publishes the Last Will
        await poll(state, lambda s: s == [(False, "offline", True)], what="offline by will")
        device2 = Publisher(mqtt_url)
        device2.connect()
        device2.publish(status_topic(topic_root), b'"online"', retain=True)
        await poll(state, lambda s: s == [(True, "online", True)], what="online again")
        device2.publish(status_topic(topic_root), b"", retain=True)  # clear the retained
        device2.close()


async def test_a_device_registered_after_start_is_accepted_without_restart(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    late = "late-device"
    async with running_gateway(settings) as gateway:
        assert gateway.registry.get(late) is None
        await register(database_url, [late], elder_id="KP-2", device_type="sos_button")
        await poll(
            lambda: _async(gateway.registry.get(late)),
            lambda e: e is not None,
            what="NOTIFY applied",
        )
        publisher.publish(events_topic(topic_root, late), b'{"kind": "checkin", "seq": 1}')
        await poll(lambda: count(database_url), lambda n: n == 1)
        await fetch(database_url, "DELETE FROM devices WHERE id = %s RETURNING id", [late])
        await poll(
            lambda: _async(gateway.registry.get(late)), lambda e: e is None, what="delete applied"
        )
    rows = await fetch(database_url, "SELECT elder_id FROM events")
    assert rows == [("KP-2",)]
    assert await count(database_url, "SELECT count(*) FROM dead_letters") == 0


async def _async(value: object) -> object:
    return value


async def test_a_critical_event_is_committed_before_the_batch_timer(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE], device_type="sos_button")
    # A batch timer of a minute: only the critical path can commit the SOS in time.
    async with running_gateway(settings, batch_max_ms=60_000) as gateway:
        publisher.publish(events_topic(topic_root), b'{"kind": "sos", "seq": 1}')
        await poll(lambda: count(database_url), lambda n: n == 1, deadline_s=5)
        assert gateway.health()["last_commit"] is not None


async def test_mqtt_3_1_1_sessions_store_events_too(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    async with running_gateway(settings, mqtt_protocol="3.1.1", shared_group=None):
        publisher.publish(events_topic(topic_root), b'{"kind": "motion", "seq": 5}')
        await poll(lambda: count(database_url), lambda n: n == 1)


async def test_a_shared_subscription_group_receives_the_events(
    settings: Settings, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, [DEVICE])
    async with running_gateway(settings, shared_group="tanfang"):
        publisher.publish(events_topic(topic_root), b'{"kind": "motion", "seq": 6}')
        await poll(lambda: count(database_url), lambda n: n == 1)
