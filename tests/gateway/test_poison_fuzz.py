"""Fuzzing the whole message path — decode, batch, the writer's rows and COPY, the real
PostgreSQL — with what broke it: deep nesting, NUL characters, numbers JSON or a double
cannot hold, lone surrogates, invalid UTF-8, oversized and mixed arrays. Every message must
end acknowledged (its future done without an exception), stored or dead-lettered (or known
as already stored), and the writers must live on."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from devices.kinds import KINDS
from devices.schema import MAX_BATCH, MAX_PAYLOAD_BYTES, events_topic
from store.pool import open_pool
from tests.gateway.helpers import fetch
from tests.gateway.ingest_path import IngestPath, ingest_path, register_typed

ROOT = "fuzz/v1"
DEVICES = [("fz-button", "sos_button"), ("fz-sensor", "motion_sensor")]
TARGETS = [*(device for device, _ in DEVICES), "fz-stranger"]

POISON_LEAVES = [
    b"1e400",
    b"-1e400",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1" + b"0" * 400,
    b'"\\ud800"',
    b'"x\\udfffy"',
    b'"nul \\u0000 inside"',
    b'"\xff\xfe"',
    b'"\\u0000"',
]
PLAIN_LEAVES = [b"null", b"true", b"false", b"0", b"1", b"87", b"-60", b"12.5", b'"kitchen"']

leaves = st.one_of(
    st.sampled_from(POISON_LEAVES),
    st.sampled_from(PLAIN_LEAVES),
    st.text(max_size=12).map(orjson.dumps),
    st.integers(-(2**70), 2**70).map(lambda i: str(i).encode()),
)


def nest(depth: int, leaf: bytes) -> bytes:
    return b"[" * depth + leaf + b"]" * depth


deep = st.builds(nest, st.integers(0, 400), leaves)
huge = st.integers(1, 40 * 1024).map(lambda n: b'"' + b"x" * n + b'"')


def as_object(fields: list[tuple[bytes, bytes]]) -> bytes:
    return b"{" + b",".join(key + b":" + value for key, value in fields) + b"}"


values = st.recursive(
    leaves | deep,
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda items: b"[" + b",".join(items) + b"]")
        | st.lists(st.tuples(st.text(max_size=6).map(orjson.dumps), inner), max_size=4).map(
            as_object
        )
    ),
    max_leaves=10,
)
kinds = st.sampled_from([*KINDS, "teleport"]).map(orjson.dumps) | values
field_names = st.sampled_from(["value", "ts", "seq", "battery", "rssi", "note", "fw", "\\u0000"])


@st.composite
def event_objects(draw: st.DrawFn) -> bytes:
    fields = [(b'"kind"', draw(kinds))] if draw(st.integers(0, 9)) else []
    for name in draw(st.lists(field_names, max_size=4, unique=True)):
        fields.append((b'"' + name.encode() + b'"', draw(values | huge)))
    draw(st.randoms()).shuffle(fields)
    return as_object(fields)


items = event_objects() | values
arrays = st.lists(items, min_size=0, max_size=8).map(lambda xs: b"[" + b",".join(xs) + b"]")
many = st.builds(
    lambda n, item: b"[" + b",".join([item] * n) + b"]",
    st.sampled_from([300, MAX_BATCH, MAX_BATCH + 1]),
    event_objects(),
)
oversized = st.just(b'{"kind": "sos", "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}')
payloads = st.one_of(event_objects(), arrays, many, values, st.binary(max_size=64), oversized)
# (device, payload, delivered with the MQTT retain flag)
messages = st.lists(
    st.tuples(st.sampled_from(TARGETS), payloads, st.booleans()), min_size=1, max_size=3
)


def duplicates() -> float:
    return REGISTRY.get_sample_value("tanfang_events_duplicate_total") or 0.0


async def outcomes(url: str) -> tuple[int, int]:
    [(stored, dead)] = await fetch(
        url, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM dead_letters)"
    )
    return int(stored), int(dead)


async def one_example(url: str, sent: list[tuple[str, bytes, bool]]) -> None:
    async with (
        open_pool(url, max_size=2) as pool,
        ingest_path(url, pool, ROOT, max_ms=1) as path,
    ):
        for device, payload, retained in sent:
            await handled_to_the_end(path, url, device, payload, retained=retained)


async def handled_to_the_end(
    path: IngestPath, url: str, device: str, payload: bytes, *, retained: bool
) -> None:
    stored, dead = await outcomes(url)
    repeated = duplicates()
    await path.acked(events_topic(ROOT, device), payload, retained=retained)
    stored_after, dead_after = await outcomes(url)
    accounted = stored_after - stored + dead_after - dead + duplicates() - repeated
    assert accounted >= 1, f"{payload[:200]!r} was neither stored nor dead-lettered"
    assert not path.writing.done(), "the writers stopped: the gateway would have exited"


@pytest.fixture
def fuzz_database(database_url: str) -> str:
    """One database for all examples: each message's outcome is read as a difference."""
    asyncio.run(register_typed(database_url, DEVICES))
    return database_url


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=messages)
def test_every_message_ends_acknowledged_stored_or_dead_lettered_whatever_it_holds(
    fuzz_database: str, sent: list[tuple[str, bytes, bool]]
) -> None:
    asyncio.run(one_example(fuzz_database, sent))
