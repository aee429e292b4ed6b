"""Poison messages (issue 8): whatever a message contains, it ends acknowledged, stored or
dead-lettered with its reason, and nothing stops the writers. Each finding of the issue,
through the real handler, batcher, writer and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import pytest
from prometheus_client import REGISTRY

from devices.sanitise import MAX_EXTRA_DEPTH
from devices.schema import MAX_PAYLOAD_BYTES, events_topic
from store.pool import Pool
from tests.gateway.helpers import fetch
from tests.gateway.ingest_path import IngestPath, ingest_path, register_typed

BUTTON = "pat-1"
SENSOR = "pir-1"
SMOKE = "smoke-1"
# Like the 635-byte message found: an extra field nested 300 levels deep made orjson.dumps
# raise in the writer, and the process died on it again at every redelivery.
NESTED_300 = b'{"kind": "motion", "extra": ' + b"[" * 300 + b"]" * 300 + b"}"


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def path(database_url: str, pool: Pool, topic_root: str) -> AsyncIterator[IngestPath]:
    await register_typed(
        database_url,
        [(BUTTON, "sos_button"), (SENSOR, "motion_sensor"), (SMOKE, "smoke_detector")],
    )
    async with ingest_path(database_url, pool, topic_root) as running:
        yield running


async def events(url: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url,
        "SELECT kind, seq, value, battery, flags, extra FROM events ORDER BY received_at, seq",
    )


async def dead_letters(url: str) -> list[tuple[Any, ...]]:
    return await fetch(
        url, "SELECT reason, detail, payload, payload_size FROM dead_letters ORDER BY id"
    )


async def test_an_extra_nested_300_levels_deep_is_stored_flagged_and_the_writers_live(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    assert len(NESTED_300) == 629
    await path.acked(events_topic(topic_root, SENSOR), NESTED_300)
    await path.acked(events_topic(topic_root, BUTTON), b'{"kind": "sos", "seq": 1}')
    rows = await events(database_url)
    assert [(kind, flags) for kind, _, _, _, flags, _ in rows] == [
        ("motion", ["no_device_time", "unusable_field"]),
        ("sos", ["no_device_time"]),
    ]
    note = f"nested deeper than {MAX_EXTRA_DEPTH} levels"
    assert rows[0][5] == {"unusable": {"extra": note}}


async def test_a_bad_item_of_an_array_costs_only_itself_and_the_good_items_are_stored(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    items = [
        {"kind": "motion", "seq": 1},
        {"kind": "warp", "x": deep(300)},
        {"kind": "motion", "seq": 2, "note": "a\x00b"},
        {"kind": "motion", "seq": 3},
    ]
    payload = json.dumps(items).encode()  # orjson cannot write 300 levels
    await path.acked(events_topic(topic_root, SENSOR), payload)
    rows = await events(database_url)
    assert [(seq, flags) for _, seq, _, _, flags, _ in rows] == [
        (1, ["no_device_time"]),
        (2, ["no_device_time", "unusable_field"]),
        (3, ["no_device_time"]),
    ]
    assert rows[1][5] == {"unusable": {"note": "a\ufffdb"}}
    [(reason, detail, kept, size)] = await dead_letters(database_url)
    assert (reason, detail) == ("unknown_kind", "item 1: unknown kind 'warp'")
    # The item has no JSON of its own (too deep to serialise): the whole payload is kept.
    assert (bytes(kept), size) == (payload, len(payload))


async def test_an_sos_with_a_nul_in_an_extra_field_is_stored_with_that_field_flagged(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    payload = b'{"kind": "sos", "seq": 9, "room": "bedroom", "note": "help\\u0000me"}'
    await path.acked(events_topic(topic_root, BUTTON), payload)
    [(kind, seq, _, _, flags, extra)] = await events(database_url)
    assert (kind, seq, flags) == ("sos", 9, ["no_device_time", "unusable_field"])
    assert extra == {"room": "bedroom", "unusable": {"note": "help\ufffdme"}}
    assert await dead_letters(database_url) == []


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
async def test_an_sos_with_a_battery_json_cannot_carry_is_stored_with_the_battery_set_aside(
    path: IngestPath, database_url: str, topic_root: str, number: str
) -> None:
    payload = b'{"kind": "sos", "seq": 10, "battery": ' + number.encode() + b"}"
    await path.acked(events_topic(topic_root, BUTTON), payload)
    [(kind, seq, _, battery, flags, extra)] = await events(database_url)
    assert (kind, seq, battery) == ("sos", 10, None)
    assert flags == ["no_device_time", "bad_field"]
    assert extra == {"battery": number}
    assert await dead_letters(database_url) == []


@pytest.mark.parametrize(
    "payload",
    [b'{"kind": "sos", "note": "\\ud800"}', b'{"kind": "sos", "note": "\xff\xfe"}'],
    ids=["lone-surrogate", "invalid-utf8"],
)
async def test_an_sos_with_text_utf8_cannot_hold_is_stored_with_the_field_flagged(
    path: IngestPath, database_url: str, topic_root: str, payload: bytes
) -> None:
    await path.acked(events_topic(topic_root, BUTTON), payload)
    [(kind, _, _, _, flags, extra)] = await events(database_url)
    assert (kind, flags) == ("sos", ["no_device_time", "unusable_field"])
    assert set(extra["unusable"]["note"]) == {"\ufffd"}


@pytest.mark.parametrize("value", ["yes", None, [1]])
async def test_a_smoke_alarm_with_an_unreadable_value_is_stored_not_refused(
    path: IngestPath, database_url: str, topic_root: str, value: Any
) -> None:
    payload = orjson.dumps({"kind": "smoke", "seq": 4, "value": value})
    await path.acked(events_topic(topic_root, SMOKE), payload)
    [(kind, _, stored_value, _, flags, extra)] = await events(database_url)
    assert (kind, stored_value, flags) == ("smoke", None, ["no_device_time", "bad_field"])
    assert extra == {"value": value}


async def test_an_sos_in_a_payload_that_is_not_json_is_stored_and_the_payload_dead_lettered(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    payload = b'{"kind": "sos", "note": "cut off'
    await path.acked(events_topic(topic_root, BUTTON), payload)
    [(kind, _, _, _, flags, _)] = await events(database_url)
    assert (kind, flags) == ("sos", ["no_device_time", "salvaged"])
    [(reason, _, kept, _)] = await dead_letters(database_url)
    assert (reason, bytes(kept)) == ("not_json", payload)


async def test_an_array_of_300_events_is_stored_whole(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    items = [
        {
            "ts": (start + timedelta(milliseconds=n)).isoformat(),
            "seq": n,
            "kind": "motion",
            "room": "bedroom",
        }
        for n in range(300)
    ]
    payload = orjson.dumps(items)
    assert len(payload) > 16 * 1024, "the old limit refused it as too_large"
    await path.acked(events_topic(topic_root, SENSOR), payload)
    rows = await events(database_url)
    assert [seq for _, seq, _, _, _, _ in rows] == list(range(300))
    assert await dead_letters(database_url) == []


async def test_a_refused_payload_is_kept_whole_up_to_256_kib(
    path: IngestPath, database_url: str, topic_root: str
) -> None:
    broken = b'{"kind": "motion", "pad": "' + b"x" * (200 * 1024) + b'"'  # no closing brace
    oversize = b'{"kind": "motion", "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    await path.acked(events_topic(topic_root, SENSOR), broken)
    await path.acked(events_topic(topic_root, SENSOR), oversize)
    rows = await dead_letters(database_url)
    assert [(reason, bytes(kept), size) for reason, _, kept, size in rows] == [
        ("not_json", broken, len(broken)),
        ("too_large", oversize[:MAX_PAYLOAD_BYTES], len(oversize)),
    ]


async def test_an_exception_in_one_message_s_handling_is_a_dead_letter_and_counted(
    path: IngestPath, database_url: str, topic_root: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = metric("tanfang_handler_failures_total")
    # gmqtt hands a topic that is not UTF-8 over as bytes: nothing in ingest expects that.
    topic = cast("str", f"{topic_root}/dev/".encode() + b"\xff/events")
    payload = b'{"kind": "sos", "name": "Wang Xiaoming"}'
    with caplog.at_level(logging.ERROR, logger="gateway"):
        await path.acked(topic, payload)
    assert metric("tanfang_handler_failures_total") == before + 1
    [(reason, detail, kept, _)] = await dead_letters(database_url)
    assert (reason, detail, bytes(kept)) == (
        "internal_error",
        "handling failed (TypeError)",
        payload,
    )
    assert "internal_error" in caplog.text
    assert "Wang" not in caplog.text
    # The next message is handled as ever.
    await path.acked(events_topic(topic_root, BUTTON), b'{"kind": "sos", "seq": 2}')
    assert [r[0] for r in await events(database_url)] == ["sos"]


async def test_a_critical_event_from_an_unregistered_device_is_dead_lettered_loudly(
    path: IngestPath, database_url: str, topic_root: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = metric("tanfang_critical_unregistered_total")
    with caplog.at_level(logging.INFO, logger="gateway"):
        await path.acked(events_topic(topic_root, "stranger-1"), b'{"kind": "motion"}')
        assert metric("tanfang_critical_unregistered_total") == before
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        sos = b'[{"kind": "heartbeat"}, {"kind": "sos", "phone": "13812345678"}]'
        await path.acked(events_topic(topic_root, "stranger-2"), sos)
    assert metric("tanfang_critical_unregistered_total") == before + 1
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "stranger-2" in error.getMessage()
    assert "sos" in error.getMessage()
    assert "13812345678" not in caplog.text
    rows = await dead_letters(database_url)
    assert [(reason, bytes(kept)) for reason, _, kept, _ in rows] == [
        ("unknown_device", b'{"kind": "motion"}'),
        ("unknown_device", sos),
    ]
    assert await events(database_url) == []
