"""End to end: Ping An Tong check-in presses published to the real broker go through the
real gateway, as ``tanfang gateway`` composes it, become online visits (one a day, the rest
evidence) in the transaction that stores them, and the monthly report counts them; when
recording the visit fails, the press is stored anyway and the reconcile makes its visit."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

import psycopg
import pytest
from prometheus_client import REGISTRY

from care import report
from care.month import Month
from devices.schema import events_topic
from gateway import reconcile
from gateway.service import Gateway
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, probe, running
from tests.rig.faults import refusing


def gateway_with_checkins(settings: Settings, pool: Pool) -> AbstractAsyncContextManager[Gateway]:
    """The gateway as tanfang composes it (check-ins become visits), in the test's loop."""
    return running(runtime.build_gateway(settings.model_copy(update={"batch_max_ms": 20}), pool))


async def register_elder(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO elders (id, name, town, birth_date, living_arrangement)"
            " VALUES ('KP-9', '陳', '赤坎鎮', '1956-03-01', 'alone')"
        )
        await conn.execute(
            "INSERT INTO devices (id, type, elder_id) VALUES ('pat-9', 'sos_button', 'KP-9')"
        )


async def test_checkin_presses_through_broker_and_gateway_become_counted_online_visits(
    settings: Settings, pool: Pool, database_url: str, mqtt_url: str
) -> None:
    await register_elder(database_url)
    tz = settings.tz
    now = datetime.now(tz)
    # Two presses in the same local day (the second a minute later) and their redelivery.
    first, second = now - timedelta(seconds=5), now - timedelta(seconds=4)
    if first.date() != second.date():
        first, second = second, second + timedelta(milliseconds=500)
    presses = [
        {"ts": first.isoformat(), "seq": 1, "kind": "checkin"},
        {"ts": second.isoformat(), "seq": 2, "kind": "checkin"},
    ]
    async with gateway_with_checkins(settings, pool):
        publisher = Publisher(mqtt_url)
        publisher.connect()
        try:
            topic = events_topic(settings.topic_root, "pat-9")
            publisher.publish(topic, json.dumps(presses[0]))
            publisher.publish(topic, json.dumps(presses[1]))
            publisher.publish(topic, json.dumps(presses))  # redelivered as a batch
            evidence = await poll(
                lambda: fetch(database_url, "SELECT count(*) FROM visit_evidence"),
                lambda rows: rows[0][0] == 2,
                what="two check-ins kept as evidence",
            )
        finally:
            publisher.close()
    assert evidence == [(2,)]
    visits = await fetch(
        database_url,
        "SELECT elder_id, method, source, source_device_id, source_event_ts FROM visits",
    )
    assert len(visits) == 1
    elder_id, method, source, device, event_ts = visits[0]
    assert (elder_id, method, source, device) == ("KP-9", "online", "checkin", "pat-9")
    assert abs((event_ts - first).total_seconds()) < 0.01
    async with pool.connection() as conn:
        table = await report.monthly_report(conn, Month.of(first.date()), None, now.date(), tz)
    assert table.total["visited"] == 1
    assert table.total["visits_online"] == 1
    assert table.total["online_from_devices"] == 1
    assert table.total["monthly_visit_rate"] == 1.0


async def test_a_press_whose_visit_fails_is_stored_and_acked_and_its_visit_reconciled(
    settings: Settings,
    pool: Pool,
    database_url: str,
    mqtt_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recording the visit never holds the press back: while it fails, the press is stored
    and acknowledged without its visit (the failure counted); once the fault is gone, the
    gateway's reconcile loop records the visit from the stored press."""
    # The loop's pace, shortened: the test shows what it does, not how often.
    monkeypatch.setattr(reconcile, "RECONCILE_EVERY_S", 0.2)
    monkeypatch.setattr(reconcile, "RECONCILE_SOON_S", 0.2)
    await register_elder(database_url)
    failed = REGISTRY.get_sample_value("tanfang_step_failures_total", {"step": "checkin-visits"})
    pressed = datetime.now(settings.tz) - timedelta(seconds=5)
    press = {"ts": pressed.isoformat(), "seq": 1, "kind": "checkin"}
    async with gateway_with_checkins(settings, pool) as gateway:
        publisher = Publisher(mqtt_url)
        publisher.connect()
        try:
            async with refusing(database_url, "visits"):
                publisher.publish(events_topic(settings.topic_root, "pat-9"), json.dumps(press))
                await poll(
                    lambda: fetch(database_url, "SELECT count(*) FROM events"),
                    lambda rows: rows == [(1,)],
                    what="the press stored although its visit failed",
                )
                await poll(
                    probe(gateway.health),
                    lambda state: state["broker"]["inflight"] == 0,  # type: ignore[index]
                    what="the press acknowledged",
                )
                after = REGISTRY.get_sample_value(
                    "tanfang_step_failures_total", {"step": "checkin-visits"}
                )
                assert (after or 0) == (failed or 0) + 1
                assert await fetch(database_url, "SELECT count(*) FROM visits") == [(0,)]
            visits = await poll(
                lambda: fetch(database_url, "SELECT elder_id, source, visited_at FROM visits"),
                lambda rows: len(rows) == 1,
                what="the visit made by the reconcile",
            )
        finally:
            publisher.close()
    assert visits[0][:2] == ("KP-9", "checkin")
    assert abs((visits[0][2] - pressed).total_seconds()) < 0.01
