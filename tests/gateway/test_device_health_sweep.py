"""Device health on the real rig (broker, gateway, database): a device that stops sending
goes offline after two heartbeats and is cleared by its next message; a Last Will takes it
offline at once; a low battery opens battery_low and a charged one clears it; and a gateway
that cannot reach its broker blames no device for the silence."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from devices.schema import events_topic, status_topic
from gateway import health_loop
from gateway.service import Gateway
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, execute, fetch, poll, register, running, scalar

HEARTBEAT_S = 2


@pytest.fixture(autouse=True)
def quick_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_loop, "SWEEP_EVERY_S", 0.2)


def gateway(settings: Settings, pool: Pool) -> Gateway:
    return runtime.build_gateway(settings.model_copy(update={"batch_max_ms": 20}), pool)


async def short_heartbeat(url: str, device_id: str) -> None:
    await execute(
        url, "UPDATE devices SET heartbeat_interval_s = %s WHERE id = %s", (HEARTBEAT_S, device_id)
    )


async def health_alerts(url: str) -> list[tuple[object, ...]]:
    return await fetch(
        url,
        "SELECT type, severity, device_id, status, outcome FROM alerts"
        " WHERE type IN ('device_offline', 'battery_low') ORDER BY id",
    )


async def timeline_kinds(url: str, alert_type: str) -> list[tuple[object, ...]]:
    return await fetch(
        url,
        "SELECT t.kind, t.actor, t.detail ->> 'reason' FROM alert_timeline t"
        " JOIN alerts a ON a.id = t.alert_id WHERE a.type = %s ORDER BY t.at, t.id",
        (alert_type,),
    )


async def test_a_silent_device_goes_offline_after_two_heartbeats_and_its_next_message_clears_it(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    await short_heartbeat(database_url, "pat-1")
    topic = events_topic(topic_root, "pat-1")
    async with running(gateway(settings, pool)):
        publisher.publish(topic, b'{"kind": "heartbeat"}')
        await poll(lambda: scalar(database_url, "SELECT count(*) FROM events"), lambda n: n == 1)
        # Not within one missed heartbeat: the alert waits for the second.
        assert await health_alerts(database_url) == []
        opened = await poll(
            lambda: health_alerts(database_url), bool, what="device_offline", deadline_s=10
        )
        # An SOS button offline hides an emergency: high.
        assert opened == [("device_offline", "high", "pat-1", "open", None)]
        publisher.publish(topic, b'{"kind": "heartbeat"}')
        cleared = await poll(
            lambda: health_alerts(database_url),
            lambda rows: rows[0][3] == "resolved",
            what="cleared by the next message",
        )
    assert cleared == [("device_offline", "high", "pat-1", "resolved", "device_fault")]
    assert await timeline_kinds(database_url, "device_offline") == [
        ("opened", "health", "missed_heartbeats"),
        ("cleared", "system", "device back"),
    ]


async def test_the_last_will_takes_a_device_offline_at_once(
    settings: Settings, pool: Pool, database_url: str, mqtt_url: str, topic_root: str
) -> None:
    await register(database_url, ["door-1"], device_type="door_sensor")
    device = Publisher(mqtt_url, client_id=f"dev-{uuid.uuid4().hex[:6]}")
    device.will(status_topic(topic_root, "door-1"), b"offline")
    device.connect()
    device.publish(status_topic(topic_root, "door-1"), b"online", retain=True)
    async with running(gateway(settings, pool)):
        await poll(
            lambda: scalar(database_url, "SELECT online FROM devices WHERE id = 'door-1'"),
            lambda online: online is True,
        )
        device.drop()  # no DISCONNECT: the broker publishes the Last Will
        opened = await poll(lambda: health_alerts(database_url), bool, deadline_s=5)
        assert opened == [("device_offline", "low", "door-1", "open", None)]
        back = Publisher(mqtt_url)
        back.connect()
        back.publish(status_topic(topic_root, "door-1"), b"online", retain=True)
        back.close()
        await poll(
            lambda: health_alerts(database_url),
            lambda rows: rows[0][3] == "resolved",
            what="cleared by status online",
        )


async def test_a_low_battery_opens_battery_low_and_only_a_charged_one_clears_it(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pir-1"])
    topic = events_topic(topic_root, "pir-1")
    battery = "SELECT battery FROM devices WHERE id = 'pir-1'"
    async with running(gateway(settings, pool)):
        publisher.publish(topic, b'{"kind": "motion", "value": 1, "battery": 10, "seq": 1}')
        opened = await poll(lambda: health_alerts(database_url), bool, what="battery_low")
        assert opened == [("battery_low", "low", "pir-1", "open", None)]
        # 20 % is above the low level but not above the clear level: it stays open.
        publisher.publish(topic, b'{"kind": "motion", "value": 1, "battery": 20, "seq": 2}')
        await poll(lambda: scalar(database_url, battery), lambda b: b == 20)
        sweeps = await heartbeat_turns(database_url, settings.mqtt_client_id, 3)
        assert sweeps >= 3
        assert (await health_alerts(database_url))[0][3] == "open"
        publisher.publish(topic, b'{"kind": "motion", "value": 1, "battery": 30, "seq": 3}')
        cleared = await poll(
            lambda: health_alerts(database_url), lambda rows: rows[0][3] == "resolved"
        )
    assert cleared == [("battery_low", "low", "pir-1", "resolved", "device_fault")]
    assert (await timeline_kinds(database_url, "battery_low"))[-1] == (
        "cleared",
        "system",
        "battery charged",
    )


async def heartbeat_turns(url: str, client_id: str, turns: int) -> int:
    """Wait until this gateway has written ``turns`` more heartbeats (sweeps ran)."""
    query = "SELECT seen_at FROM gateway_heartbeats WHERE client_id = %s"
    seen: set[object] = set()

    async def look() -> int:
        rows = await fetch(url, query, (client_id,))
        seen.update(row[0] for row in rows)
        return len(seen)

    return await poll(look, lambda n: n > turns)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_gateway_whose_broker_is_unreachable_blames_no_device(
    settings: Settings, pool: Pool, database_url: str
) -> None:
    await register(database_url, ["pir-1"])
    await short_heartbeat(database_url, "pir-1")
    # Last heard well before: only our outage keeps it from being blamed.
    await execute(
        database_url,
        "UPDATE devices SET last_seen = now() - interval '1 minute', online = true"
        " WHERE id = 'pir-1'",
        (),
    )
    cut_off = settings.model_copy(update={"mqtt_url": f"mqtt://127.0.0.1:{closed_port()}"})
    stop = asyncio.Event()
    task = asyncio.create_task(gateway(cut_off, pool).run(stop), name="cut-off-gateway")
    try:
        # Longer than two heartbeats (4 s) of sweeps, every one of them blind.
        await poll(
            lambda: scalar(
                database_url,
                "SELECT coalesce(max(extract(epoch FROM seen_at - started_at)), 0)"
                " FROM gateway_heartbeats WHERE NOT ingesting",
            ),
            lambda s: s > 2.5 * HEARTBEAT_S,
            what="sweeps over two heartbeats",
        )
        assert await health_alerts(database_url) == []
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
