"""An in-transaction step never holds an event back: a step that raises is left out of its
batch, which is stored and acknowledged; the failure is counted and logged once; the step's
reconcile later makes good what it missed (tests/e2e/test_checkin_visits.py, and the
writer's tests). A lost connection is not a step's failure."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
import pytest
from prometheus_client import REGISTRY

from devices.schema import Event, events_topic
from gateway.service import Gateway
from gateway.steps import InTransactionStep
from store.db import Conn
from store.pool import Pool
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, probe, register, running, scalar


def failures(step: str) -> float:
    return REGISTRY.get_sample_value("tanfang_step_failures_total", {"step": step}) or 0.0


def gateway(settings: Settings, *steps: InTransactionStep, pool: Pool | None = None) -> Gateway:
    return Gateway(settings.model_copy(update={"batch_max_ms": 20}), pool, steps=steps)


async def test_a_raising_step_is_left_out_and_its_batch_with_an_sos_is_stored_and_acked(
    settings: Settings, database_url: str, mqtt_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    calls: list[int] = []

    async def broken(conn: Conn, events: Sequence[Event], elders: Sequence[str | None]) -> None:
        calls.append(len(events))
        # What a step wrote before it raised is rolled back with it.
        await conn.execute("UPDATE elders SET name = 'changed by a failed step'")
        raise RuntimeError("a bug in a step")

    step = InTransactionStep("broken-step", frozenset({"checkin"}), broken)
    before = failures("broken-step")
    device = Publisher(mqtt_url)
    device.connect()
    try:
        async with running(gateway(settings, step)) as gw:
            presses = [{"kind": "checkin", "seq": 1}, {"kind": "sos", "seq": 2}]
            device.publish(events_topic(settings.topic_root, "pat-1"), orjson.dumps(presses))
            await poll(
                lambda: scalar(database_url, "SELECT count(*) FROM events"),
                lambda n: n == 2,
                what="the check-in and the SOS stored",
            )
            await poll(
                probe(gw.health),
                lambda h: h["broker"]["inflight"] == 0,  # type: ignore[index]
                what="the message acknowledged",
            )
    finally:
        device.close()
    assert calls == [2]  # tried once, then left out of that batch
    assert failures("broken-step") == before + 1
    assert await fetch(database_url, "SELECT name FROM elders") == [("test elder",)]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(" failed")[0] for r in errors] == [
        "in-transaction step broken-step"
    ]
    assert "RuntimeError" in errors[0].getMessage()


async def test_a_step_that_loses_its_connection_is_retried_with_its_batch_not_left_out(
    settings: Settings, database_url: str, mqtt_url: str
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    calls: list[int] = []

    async def flaky(conn: Conn, events: Sequence[Event], elders: Sequence[str | None]) -> None:
        calls.append(len(events))
        if len(calls) == 1:  # the link dies under the step, the first time only
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        await conn.execute("UPDATE elders SET name = 'written by the step'")

    before = failures("flaky-step")
    device = Publisher(mqtt_url)
    device.connect()
    try:
        async with running(
            gateway(settings, InTransactionStep("flaky-step", frozenset({"checkin"}), flaky))
        ):
            body = orjson.dumps({"kind": "checkin", "seq": 1})
            device.publish(events_topic(settings.topic_root, "pat-1"), body)
            await poll(
                lambda: fetch(database_url, "SELECT name FROM elders"),
                lambda rows: rows == [("written by the step",)],
                what="the step's write committed with the batch",
            )
    finally:
        device.close()
    assert calls == [1, 1]
    assert await scalar(database_url, "SELECT count(*) FROM events") == 1
    assert failures("flaky-step") == before
