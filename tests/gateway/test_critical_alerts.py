"""Critical events open their alert in the transaction that stores them, through the real
broker, gateway and database; when that step fails the event is still stored and the
reconcile opens the alert within a second of the fault's end; an elder's cancel marks the
alert and leaves it open."""

from __future__ import annotations

import time

import orjson

from devices.schema import events_topic
from gateway.service import Gateway
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, fetch, poll, register, running, scalar
from tests.rig.faults import refusing


def gateway(settings: Settings, pool: Pool) -> Gateway:
    return runtime.build_gateway(settings.model_copy(update={"batch_max_ms": 20}), pool)


async def alerts(url: str) -> list[tuple[object, ...]]:
    return await fetch(
        url, "SELECT type, elder_id, device_id, status, count, cancelled_by_elder FROM alerts"
    )


async def opener(url: str) -> list[tuple[object, ...]]:
    return await fetch(url, "SELECT kind, actor FROM alert_timeline WHERE kind = 'opened'")


async def test_an_sos_opens_its_alert_in_the_transaction_that_stores_it(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    async with running(gateway(settings, pool)):
        publisher.publish(events_topic(topic_root, "pat-1"), b'{"kind": "sos", "seq": 1}')
        await poll(lambda: alerts(database_url), bool, what="the alert")
    assert await alerts(database_url) == [("sos", "KP-1", "pat-1", "open", 1, False)]
    assert await opener(database_url) == [("opened", "gateway")]  # the step, not the reconcile


async def test_a_smoke_clear_opens_nothing_and_an_unexpected_devices_fall_opens_an_alert(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["smk-1"], device_type="smoke_detector")
    await register(database_url, ["door-1"], device_type="door_sensor")
    async with running(gateway(settings, pool)):
        publisher.publish(events_topic(topic_root, "smk-1"), b'{"kind": "smoke", "value": 0}')
        publisher.publish(events_topic(topic_root, "door-1"), b'{"kind": "fall", "value": 1}')
        await poll(lambda: scalar(database_url, "SELECT count(*) FROM events"), lambda n: n == 2)
        await poll(lambda: alerts(database_url), bool, what="the fall's alert")
    assert await alerts(database_url) == [("fall", "KP-1", "door-1", "open", 1, False)]
    flags = await scalar(database_url, "SELECT flags FROM events WHERE kind = 'fall'")
    assert "kind_unexpected" in flags


async def test_an_sos_whose_alert_step_fails_is_stored_and_its_alert_follows_within_1s(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    async with running(gateway(settings, pool)):
        async with refusing(database_url, "alerts"):
            publisher.publish(events_topic(topic_root, "pat-1"), b'{"kind": "sos", "seq": 1}')
            await poll(
                lambda: scalar(database_url, "SELECT count(*) FROM events WHERE kind = 'sos'"),
                lambda n: n == 1,
                what="the SOS stored despite the failing step",
            )
            assert await alerts(database_url) == []
        lifted = time.monotonic()
        await poll(lambda: alerts(database_url), bool, deadline_s=1.0, what="the alert")
        assert time.monotonic() - lifted < 1.0
    assert await alerts(database_url) == [("sos", "KP-1", "pat-1", "open", 1, False)]
    assert await opener(database_url) == [("opened", "reconcile")]


async def test_a_cancel_within_the_window_marks_the_sos_alert_and_leaves_it_open(
    settings: Settings, pool: Pool, database_url: str, topic_root: str, publisher: Publisher
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    topic = events_topic(topic_root, "pat-1")
    async with running(gateway(settings, pool)):
        publisher.publish(topic, orjson.dumps({"kind": "sos", "seq": 1}))
        await poll(lambda: alerts(database_url), bool, what="the alert")
        publisher.publish(topic, orjson.dumps({"kind": "cancel", "seq": 2}))
        await poll(
            lambda: alerts(database_url),
            lambda rows: rows == [("sos", "KP-1", "pat-1", "open", 1, True)],
            what="the alert marked cancelled by the elder",
        )
    kinds = await fetch(database_url, "SELECT kind, actor FROM alert_timeline ORDER BY id")
    assert kinds == [("opened", "gateway"), ("cancelled_by_elder", "elder")]
