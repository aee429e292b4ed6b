"""Keep trying until reached: the apprise channels are each recipient's fallback chain.

The escalation on the real database with real local receivers (an SMTP server, an HTTP
server, a port where nothing listens), driven by an injected clock. The webhook (a machine
integration) gets every notification; the chain's first channel gets the step, and a failed
attempt on it hands the notification, within the same step, to the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from alerting import services
from alerting.apprise_channel import AppriseChannel
from alerting.apprise_urls import channel_names, parse_notify_urls
from alerting.channels import Channel
from alerting.escalator import Escalator
from alerting.models import AckRequest, Outcome, ResolveRequest, TimelineEntry
from store.db import Conn
from store.pool import Pool
from tests.alerting.recording_channel import RecordingChannel
from tests.alerting.test_escalation import (
    OPERATOR,
    T0,
    home_with_people,
    open_sos,
    wait_recorded,
)
from tests.rig.clock import ManualClock as Clock
from tests.rig.ports import free_port
from tests.rig.smtp_receiver import SmtpReceiver
from tests.rig.webhook_receiver import WebhookReceiver

TZ = ZoneInfo("Asia/Shanghai")
ON_CALL_PHONE = "13900000000"  # home_with_people's on-call


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=tanfang@example.test&to=duty@example.test&mode=insecure"


def chain_of(*urls: str) -> list[AppriseChannel]:
    parsed = parse_notify_urls(",".join(urls))
    names = channel_names(parsed)
    return [AppriseChannel(u, n, tz=TZ) for u, n in zip(parsed, names, strict=True)]


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpReceiver]:
    async with SmtpReceiver() as receiver:
        yield receiver


def escalator_on(pool: Pool, database_url: str, channels: list[Channel], clock: Clock) -> Escalator:
    return Escalator(
        pool,
        database_url,
        channels,
        instance="esc-chain",
        ack_urls=lambda alert_id, key: f"http://ack.test/{alert_id}/{key}",
        clock=clock,
    )


async def attempts(conn: Conn, alert_id: int) -> list[TimelineEntry]:
    view = await services.alert_view(conn, OPERATOR, alert_id)
    return [e for e in view.timeline if e.kind in ("notified", "notify_failed")]


async def chain_rows(conn: Conn, alert_id: int) -> list[tuple[str, int, int, str, str]]:
    cur = await conn.execute(
        "SELECT channel, cycle, step, purpose, status FROM notifications"
        " WHERE alert_id = %s ORDER BY id",
        (alert_id,),
    )
    return [tuple(row) for row in await cur.fetchall()]


async def settle(esc: Escalator) -> None:
    """One turn, its deliveries finished and written down."""
    await esc.turn()
    await wait_recorded(esc)


async def test_a_refused_first_channel_hands_the_step_to_the_next_within_the_same_step(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0)
    webhook = RecordingChannel(name="webhook")
    sms, mail = chain_of(f"json://127.0.0.1:{free_port()}/sms?-to={{phone}}", mailto(smtp.port))
    esc = escalator_on(pool, database_url, [webhook, sms, mail], clock)
    alert_id = await open_sos(conn)
    await settle(esc)  # the step: the webhook and the chain's first (refused)
    await settle(esc)  # the same instant: the next channel of the chain
    [received] = await smtp.wait_for(1)
    assert "致：值班員（值班人員）" in received.text
    assert ON_CALL_PHONE not in received.text
    assert [n.purpose.value for n in webhook.sent] == ["alert"]
    tried = await attempts(conn, alert_id)
    assert sorted((e.kind, e.channel, e.result) for e in tried) == [
        ("notified", "apprise:mailto", "sent"),
        ("notified", "webhook", "200"),
        ("notify_failed", "apprise:json", "refused"),
    ]
    [failed] = [e for e in tried if e.kind == "notify_failed"]
    assert failed.detail is not None
    assert failed.detail["fallback"] == "apprise:mailto"
    assert failed.error == "connection refused"
    rows = await chain_rows(conn, alert_id)
    assert [r[:4] for r in rows] == [
        ("webhook", 0, 0, "alert"),
        ("apprise:json", 0, 0, "alert"),
        ("apprise:mailto", 0, 0, "alert"),
    ]
    await close(sms, mail)


async def test_the_failed_channel_keeps_its_retries_and_the_next_is_made_once(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0)
    sms, mail = chain_of(f"json://127.0.0.1:{free_port()}/sms?-to={{phone}}", mailto(smtp.port))
    esc = escalator_on(pool, database_url, [sms, mail], clock)
    alert_id = await open_sos(conn)
    await settle(esc)
    await settle(esc)
    for at in (1, 3, 7):  # the refused SMS is tried again at 1, 2, 4 s after each failure
        clock.at(at)
        await settle(esc)
    tried = [(e.channel, e.result) for e in await attempts(conn, alert_id)]
    assert tried.count(("apprise:json", "refused")) == 4
    assert tried.count(("apprise:mailto", "sent")) == 1
    assert len(smtp.mails) == 1
    assert [r[0] for r in await chain_rows(conn, alert_id)] == ["apprise:json", "apprise:mailto"]
    await close(sms, mail)


async def test_a_reached_recipient_is_not_sent_the_rest_of_the_chain(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0)
    async with WebhookReceiver() as gateway:
        sms, mail = chain_of(f"json://127.0.0.1:{gateway.port}/sms/{{phone}}", mailto(smtp.port))
        esc = escalator_on(pool, database_url, [sms, mail], clock)
        alert_id = await open_sos(conn)
        await settle(esc)
        await settle(esc)
        [request] = await gateway.wait_for(1)
    assert request.path == f"/sms/{ON_CALL_PHONE}"
    assert smtp.mails == []
    assert [(e.channel, e.result) for e in await attempts(conn, alert_id)] == [
        ("apprise:json", "sent")
    ]
    await close(sms, mail)


async def test_a_recipient_without_a_phone_skips_the_personal_channels(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0, on_call=False)
    await conn.execute(
        "INSERT INTO on_call_shifts (name, phone, towns, starts_at, ends_at)"
        " VALUES ('值班員', '', NULL, %s, %s)",
        (T0 - timedelta(hours=1), T0 + timedelta(days=1)),
    )
    async with WebhookReceiver() as gateway:
        sms, voice, mail = chain_of(
            f"json://127.0.0.1:{gateway.port}/sms?-to={{phone}}",
            f"json://127.0.0.1:{gateway.port}/voice/{{phone}}",
            mailto(smtp.port),
        )
        esc = escalator_on(pool, database_url, [sms, voice, mail], clock)
        alert_id = await open_sos(conn)
        for _ in range(3):
            await settle(esc)
        await smtp.wait_for(1)
    assert gateway.requests == []
    tried = [(e.channel, e.result, e.error) for e in await attempts(conn, alert_id)]
    assert tried == [
        ("apprise:json#1", "no_address", "the recipient has no phone number"),
        ("apprise:json#2", "no_address", "the recipient has no phone number"),
        ("apprise:mailto", "sent", None),
    ]
    await close(sms, voice, mail)


async def test_an_ack_before_the_failure_is_written_stops_the_chain(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0)
    sms, mail = chain_of(f"json://127.0.0.1:{free_port()}/sms?-to={{phone}}", mailto(smtp.port))
    esc = escalator_on(pool, database_url, [sms, mail], clock)
    alert_id = await open_sos(conn)
    await esc.turn()
    await until_delivered(esc)
    await services.acknowledge(conn, OPERATOR, alert_id, AckRequest(by="小李"), clock())
    await esc._deliverer.record()
    await settle(esc)
    assert [r[0] for r in await chain_rows(conn, alert_id)] == ["apprise:json"]
    assert smtp.mails == []
    await close(sms, mail)


async def test_resolution_goes_to_the_channels_that_reached_and_a_last_resort_to_all(
    pool: Pool, database_url: str, conn: Conn, clock: Clock, smtp: SmtpReceiver
) -> None:
    await home_with_people(conn, contacts=0, on_call=False)
    await conn.execute("UPDATE towns SET duty_phone = NULL")
    webhook = RecordingChannel(name="webhook")
    sms, mail = chain_of(f"json://127.0.0.1:{free_port()}/sms?-to={{phone}}", mailto(smtp.port))
    esc = escalator_on(pool, database_url, [webhook, sms, mail], clock)
    alert_id = await open_sos(conn)
    await settle(esc)  # nobody on duty: a last resort on every channel at once
    [last_resort] = await smtp.wait_for(1)
    assert last_resort.subject.startswith("【緊急：無人接手】")
    results = {(e.channel, e.result) for e in await attempts(conn, alert_id)}
    assert results == {
        ("webhook", "200"),
        ("apprise:json", "no_address"),
        ("apprise:mailto", "sent"),
    }
    clock.at(5)
    request = ResolveRequest(by="小李", outcome=Outcome.FALSE_ALARM)
    await services.resolve(conn, OPERATOR, alert_id, request, clock())
    await settle(esc)
    [_, resolution] = await smtp.wait_for(2)
    assert resolution.subject.startswith("【已解除】")
    rows = await chain_rows(conn, alert_id)
    assert sorted(r[0] for r in rows if r[3] == "resolution") == ["apprise:mailto", "webhook"]
    await close(sms, mail)


async def until_delivered(esc: Escalator) -> None:
    """The deliveries in flight have finished (not yet written down)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while esc._deliverer.in_flight:
        assert loop.time() < end, "deliveries still in flight"
        await asyncio.sleep(0.005)


async def close(*channels: AppriseChannel) -> None:
    for channel in channels:
        await channel.aclose()
