"""The webhook channel against a real local HTTP receiver: the contract's body and
signature, how each kind of failure is reported (never raised), no URL or person in errors
and logs, and the per-channel bound on deliveries in flight."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime

import httpx
import pytest

from alerting.channels import Notice, Purpose, Recipient, RecipientRole
from alerting.webhook import WebhookChannel, sign, verify_signature
from tests.rig.webhook_receiver import WebhookReceiver, refused_url

SECRET = "s3cret-key-of-the-town"
NAME = "李值班"
PHONE = "13800001111"
ACK_URL = "https://tanfang.example/ack/AQAAAAAAAAAqCm9uX2NhbGw6Mw"
# A receiver must answer within this much after the channel's timeout.
TIMEOUT_MARGIN_S = 2.0


def notice(notification_id: int = 7, *, purpose: Purpose = Purpose.ALERT) -> Notice:
    return Notice(
        notification_id=notification_id,
        purpose=purpose,
        alert={
            "id": "42",
            "type": "sos",
            "severity": "critical",
            "elder_id": "KP-000123",
            "device_id": "pat-7f3a",
            "status": "open",
            "opened_at": "2026-11-29T08:15:02.120000+08:00",
            "acked_at": None,
            "resolved_at": None,
            "escalation_level": 0,
            "summary": "SOS 求助 — 平安通 (bedroom)",
        },
        recipient=Recipient(RecipientRole.ON_CALL, "on_call:3", NAME, PHONE),
        level=0,
        sent_at=datetime(2026, 11, 29, 0, 15, 3, tzinfo=UTC),
        ack_url=ACK_URL,
    )


async def test_a_notification_arrives_as_the_contract_body_signed_with_the_secret() -> None:
    async with WebhookReceiver() as rx:
        channel = WebhookChannel(rx.url, SECRET)
        attempt = await channel.send(notice())
        await channel.aclose()
        [got] = await rx.wait_for(1)
    assert (attempt.ok, attempt.result, attempt.error) == (True, "200", None)
    assert attempt.duration_ms >= 0
    assert channel.name == "webhook"
    assert got.body == {
        "alert": notice().alert,
        "recipient": {"role": "on_call", "name": NAME, "phone": PHONE},
        "level": 0,
        "sent_at": "2026-11-29T00:15:03+00:00",
        "ack_url": ACK_URL,
        "notification_id": "7",
        "purpose": "alert",
    }
    assert datetime.fromisoformat(got.body["sent_at"]).utcoffset() is not None
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-tanfang-notification-id"] == "7"
    assert got.headers["user-agent"].startswith("tanfang/")
    signature = got.headers["x-tanfang-signature"]
    assert signature.startswith("sha256=")
    assert verify_signature(got.raw, SECRET, signature)
    assert not verify_signature(got.raw, "another secret", signature)
    assert not verify_signature(got.raw.replace(b'"level":0', b'"level":1'), SECRET, signature)


async def test_without_a_secret_no_signature_is_sent() -> None:
    async with WebhookReceiver() as rx:
        channel = WebhookChannel(rx.url, None)
        attempt = await channel.send(notice(purpose=Purpose.RESOLUTION))
        await channel.aclose()
        [got] = await rx.wait_for(1)
    assert attempt.ok
    assert "x-tanfang-signature" not in got.headers
    assert got.body["purpose"] == "resolution"


def test_a_signature_is_the_hex_hmac_sha256_of_the_body_and_refuses_lookalikes() -> None:
    body = b'{"level":0}'
    header = sign(body, "k")
    assert header == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert verify_signature(body, "k", f"  {header} ")
    digest = header.removeprefix("sha256=")
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    for wrong in ("", digest, "sha1=" + digest, "sha256=" + flipped, header + "0", "sha256=é"):
        assert not verify_signature(body, "k", wrong)


async def test_a_500_is_a_failure_worth_retrying() -> None:
    async with WebhookReceiver(mode="fail500") as rx:
        channel = WebhookChannel(rx.url, SECRET)
        attempt = await channel.send(notice())
        await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "500", True)
    assert attempt.error == "HTTP 500"


async def test_a_404_is_a_failure_that_retrying_will_not_mend() -> None:
    async with WebhookReceiver(mode="fail404") as rx:
        channel = WebhookChannel(rx.url, SECRET)
        attempt = await channel.send(notice())
        await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "404", False)


async def test_a_redirect_is_not_followed() -> None:
    async with WebhookReceiver(mode="redirect") as rx:
        channel = WebhookChannel(rx.url, SECRET)
        attempt = await channel.send(notice())
        await channel.aclose()
        assert len(rx.requests) == 1
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "302", False)


async def test_a_receiver_that_never_answers_is_a_timeout_within_the_timeout() -> None:
    timeout_s = 0.3
    async with WebhookReceiver(mode="hang") as rx:
        channel = WebhookChannel(rx.url, SECRET, timeout_s=timeout_s)
        started = time.monotonic()
        attempt = await channel.send(notice())
        elapsed = time.monotonic() - started
        await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "timeout", True)
    assert timeout_s <= elapsed < timeout_s + TIMEOUT_MARGIN_S


async def test_nothing_listening_is_refused() -> None:
    channel = WebhookChannel(refused_url(), SECRET)
    attempt = await channel.send(notice())
    await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "refused", True)


async def test_a_receiver_that_stops_listening_is_refused_from_then_on() -> None:
    async with WebhookReceiver() as rx:
        channel = WebhookChannel(rx.url, SECRET)
        assert (await channel.send(notice(1))).ok
        await rx.stop_listening()
        # A fresh client: the pooled keep-alive connection would still reach the receiver.
        later = WebhookChannel(rx.url, SECRET)
        attempt = await later.send(notice(2))
        await channel.aclose()
        await later.aclose()
    assert attempt.result == "refused"


async def test_a_connection_closed_without_an_answer_is_an_error_worth_retrying() -> None:
    async with WebhookReceiver(mode="close") as rx:
        channel = WebhookChannel(rx.url, SECRET)
        attempt = await channel.send(notice())
        await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "error", True)
    assert attempt.error == "RemoteProtocolError"


async def test_neither_errors_nor_logs_show_the_url_or_the_recipient(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url_secret = "url-secret-9f8e7d"
    attempts = []
    async with WebhookReceiver(mode="fail500") as rx:
        for url in (f"{rx.url}?key={url_secret}", f"{refused_url()}?key={url_secret}"):
            channel = WebhookChannel(url, SECRET)
            attempts.append(await channel.send(notice()))
            await channel.aclose()
        rx.mode = "close"
        channel = WebhookChannel(f"{rx.url}?key={url_secret}", SECRET)
        attempts.append(await channel.send(notice()))
        await channel.aclose()
    assert [a.result for a in attempts] == ["500", "refused", "error"]
    assert "webhook notification 7" in caplog.text
    for secret in (url_secret, NAME, PHONE):
        assert all(secret not in (a.error or "") for a in attempts)
        assert secret not in caplog.text


async def test_an_unparseable_url_is_refused_at_start_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="not a valid URL") as refused:
        WebhookChannel("http://example.com/\x00secret", SECRET)
    assert "secret" not in str(refused.value)


async def test_a_url_that_is_not_http_is_an_error_that_retrying_will_not_mend() -> None:
    channel = WebhookChannel("ftp://example.com/secret-path", SECRET)
    attempt = await channel.send(notice())
    await channel.aclose()
    assert (attempt.ok, attempt.result, attempt.retry) == (False, "error", False)
    assert "secret" not in (attempt.error or "")


async def test_a_hanging_receiver_holds_only_its_own_channels_slots() -> None:
    async with WebhookReceiver(mode="hang") as stuck, WebhookReceiver() as healthy:
        slow = WebhookChannel(stuck.url, SECRET, timeout_s=60, concurrency=2)
        fast = WebhookChannel(healthy.url, SECRET, timeout_s=60, concurrency=2)
        sends = [asyncio.create_task(slow.send(notice(n))) for n in (1, 2, 3)]
        await stuck.wait_for(2)
        # Another channel's delivery goes through while the slow one's slots are taken.
        other = await asyncio.wait_for(fast.send(notice(4)), timeout=5)
        assert other.ok
        # The third of the slow channel waits for a slot: it never reached its receiver.
        assert len(stuck.requests) == 2
        assert not any(send.done() for send in sends)
        stuck.mode = "ok"
        stuck.release()
        await stuck.wait_for(3)
        done = await asyncio.wait_for(asyncio.gather(*sends), timeout=5)
        await slow.aclose()
        await fast.aclose()
    assert [a.ok for a in done] == [True, True, True]
    assert sorted(r.headers["x-tanfang-notification-id"] for r in stuck.requests) == ["1", "2", "3"]


async def test_a_client_handed_in_is_used_and_left_open() -> None:
    async with WebhookReceiver() as rx, httpx.AsyncClient() as client:
        channel = WebhookChannel(rx.url, SECRET, client=client)
        assert (await channel.send(notice())).ok
        await channel.aclose()
        assert not client.is_closed
