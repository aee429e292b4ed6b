"""A device may send only the kinds of its type: through the real broker, gateway and
database. An emergency from an unexpected type is stored flagged and raised, never refused."""

from __future__ import annotations

import logging

import orjson
import pytest
from prometheus_client import REGISTRY

from devices.kind_check import KIND_UNEXPECTED
from devices.schema import events_topic
from gateway.service import Gateway
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, running, scalar


def unexpected_total(kind: str, device_type: str) -> float:
    value = REGISTRY.get_sample_value(
        "tanfang_unexpected_critical_total", {"kind": kind, "type": device_type}
    )
    return value or 0.0


async def count(url: str, query: str) -> int:
    return int(await scalar(url, query))


def gateway(settings: Settings, pool: Pool) -> Gateway:
    return runtime.build_gateway(settings.model_copy(update={"batch_max_ms": 20}), pool)


async def test_a_motion_sensors_checkin_is_a_dead_letter_and_never_an_online_visit(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pir-1"], device_type="motion_sensor")
    press = b'{"kind": "checkin", "seq": 1}'
    async with running(gateway(settings, pool)):
        publisher.publish(events_topic(topic_root, "pir-1"), press)
        publisher.publish(events_topic(topic_root, "pir-1"), b'{"kind": "motion", "seq": 2}')
        await poll(lambda: count(database_url, "SELECT count(*) FROM events"), lambda n: n == 1)
        await poll(lambda: count(database_url, "SELECT count(*) FROM dead_letters"), bool)
    letters = await fetch(database_url, "SELECT reason, device_id, payload FROM dead_letters")
    assert letters == [("kind_not_allowed", "pir-1", press)]
    assert await count(database_url, "SELECT count(*) FROM events WHERE kind = 'checkin'") == 0
    assert await count(database_url, "SELECT count(*) FROM visits") == 0


async def test_a_door_sensors_sos_is_stored_flagged_logged_and_counted(
    settings: Settings,
    pool: Pool,
    database_url: str,
    topic_root: str,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await register(database_url, ["door-1"], device_type="door_sensor")
    before = unexpected_total("sos", "door_sensor")
    with caplog.at_level(logging.ERROR, logger="gateway"):
        async with running(gateway(settings, pool)):
            publisher.publish(events_topic(topic_root, "door-1"), b'{"kind": "sos", "seq": 1}')
            rows = await poll(lambda: fetch(database_url, "SELECT kind, flags FROM events"), bool)
    assert rows == [("sos", ["no_device_time", KIND_UNEXPECTED])]
    assert await count(database_url, "SELECT count(*) FROM dead_letters") == 0
    assert unexpected_total("sos", "door_sensor") == before + 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("door-1" in m and "sos" in m for m in errors), errors


async def test_one_disallowed_kind_in_an_array_costs_only_that_item(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pir-1"], device_type="motion_sensor")
    items = [
        {"kind": "motion", "seq": 1},
        {"kind": "cancel", "seq": 2},
        {"kind": "heartbeat", "seq": 3},
    ]
    async with running(gateway(settings, pool)):
        publisher.publish(events_topic(topic_root, "pir-1"), orjson.dumps(items))
        await poll(lambda: count(database_url, "SELECT count(*) FROM events"), lambda n: n == 2)
        await poll(lambda: count(database_url, "SELECT count(*) FROM dead_letters"), bool)
    stored = await fetch(database_url, "SELECT seq, kind FROM events ORDER BY seq")
    assert stored == [(1, "motion"), (3, "heartbeat")]
    letters = await fetch(database_url, "SELECT reason, detail, payload FROM dead_letters")
    assert [(r[0], r[1], orjson.loads(r[2])) for r in letters] == [
        ("kind_not_allowed", "a motion_sensor does not send cancel", items[1])
    ]
