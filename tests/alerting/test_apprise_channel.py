"""The apprise channels against real local receivers: an SMTP server (aiosmtpd) and an HTTP
server (apprise's json://). Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alerting.apprise_channel import AppriseChannel, _deliver, apprise_channels
from alerting.apprise_urls import parse_notify_urls
from alerting.channels import Attempt, Notice, Purpose, Recipient, RecipientRole, falls_back
from tests.alerting.root_records import root_records
from tests.rig.ports import free_port
from tests.rig.smtp_receiver import SmtpReceiver
from tests.rig.webhook_receiver import WebhookReceiver, refused_url

TZ = ZoneInfo("Asia/Shanghai")
PHONE = "13800001111"
ACK_URL = "http://tanfang.test/ack/AQMB4kBjb250YWN0"


def notice(
    purpose: Purpose = Purpose.ALERT,
    *,
    phone: str | None = PHONE,
    name: str | None = "李值班",
    key: str = "on_call:7",
) -> Notice:
    resolved = purpose is Purpose.RESOLUTION
    alert = {
        "id": "42",
        "type": "sos",
        "severity": "critical",
        "elder_id": "KP-000123",
        "device_id": "pat-7f3a",
        "status": "resolved" if resolved else "open",
        "opened_at": "2026-11-29T02:15:02+00:00",
        "resolved_at": "2026-11-29T02:40:00+00:00" if resolved else None,
        "escalation_level": 0,
        "summary": "SOS 求助 — 平安通 (bedroom)",
    }
    return Notice(
        notification_id=1017,
        purpose=purpose,
        alert=alert,
        recipient=Recipient(RecipientRole.ON_CALL, key, name, phone),
        level=1,
        sent_at=datetime(2026, 11, 29, 2, 15, 3, tzinfo=UTC),
        ack_url=None if resolved else ACK_URL,
    )


def channel(url: str, *, timeout_s: float = 5.0, concurrency: int = 8) -> AppriseChannel:
    [parsed] = parse_notify_urls(url)
    return AppriseChannel(
        parsed, "apprise:test", tz=TZ, timeout_s=timeout_s, concurrency=concurrency
    )


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=tanfang@example.test&to=duty@example.test&mode=insecure"


async def test_an_email_reaches_the_smtp_server_with_the_right_recipient_and_text() -> None:
    async with SmtpReceiver() as smtp:
        mail_channel = channel(mailto(smtp.port))
        attempt = await mail_channel.send(notice())
        [mail] = await smtp.wait_for(1)
        await mail_channel.aclose()
    assert (attempt.ok, attempt.result) == (True, "sent")
    assert mail.rcpt_tos == ["duty@example.test"]
    assert mail.mail_from == "tanfang@example.test"
    assert mail.subject == "【緊急警報】SOS 求助 · KP-000123"
    assert mail.text.splitlines() == [
        "SOS 求助 — 平安通 (bedroom)",
        "長者編號：KP-000123",
        "級別：緊急；升級層級 1",
        "開始：2026-11-29 10:15:02（Asia/Shanghai）",
        "致：李值班（值班人員）",  # a shared channel says whom it asks
        f"請打開連結確認已收到：{ACK_URL}",
    ]
    assert PHONE not in mail.text


async def test_a_personal_channel_sends_to_the_recipients_own_phone() -> None:
    async with WebhookReceiver() as rx:
        sms = channel(f"json://127.0.0.1:{rx.port}/sms/{{phone}}?-to={{phone}}")
        attempt = await sms.send(notice(phone="+86 138 0000 1111"))
        [request] = await rx.wait_for(1)
        await sms.aclose()
    assert attempt.ok
    assert request.path == "/sms/+86%20138%200000%201111?to=%2B86+138+0000+1111"
    assert request.body["title"] == "【緊急警報】SOS 求助 · KP-000123"
    assert "致：" not in request.body["message"]  # it is the person's own phone
    assert ACK_URL in request.body["message"]


async def test_a_personal_channel_answers_no_address_for_a_recipient_without_a_phone() -> None:
    async with WebhookReceiver() as rx:
        sms = channel(f"json://127.0.0.1:{rx.port}/sms?-to={{phone}}")
        for phone in (None, "  "):
            attempt = await sms.send(notice(phone=phone))
            assert attempt == Attempt(
                False, "no_address", 0, "the recipient has no phone number", retry=False
            )
        await sms.aclose()
    assert rx.requests == []


@pytest.mark.parametrize(
    ("mode", "result", "retry"),
    [("fail500", "500", True), ("fail404", "404", False)],
)
async def test_a_refusal_by_the_service_is_its_http_status(
    mode: str, result: str, retry: bool
) -> None:
    async with WebhookReceiver() as rx:
        rx.mode = mode  # type: ignore[assignment]
        bot = channel(f"json://127.0.0.1:{rx.port}/bot")
        attempt = await bot.send(notice())
        await bot.aclose()
    assert (attempt.ok, attempt.result, attempt.error, attempt.retry) == (
        False,
        result,
        f"HTTP {result}",
        retry,
    )


@pytest.mark.parametrize(
    "url",
    [
        refused_url().replace("http://", "json://") + "?-to={phone}",
        mailto(free_port()),
    ],
    ids=["json", "mailto"],
)
async def test_nothing_listening_is_refused_and_nothing_logged_names_the_url_or_phone(
    url: str,
) -> None:
    port = re.search(r"127\.0\.0\.1:(\d+)", url).group(1)  # type: ignore[union-attr]
    closed = channel(url)
    with root_records() as records:
        attempt = await closed.send(notice())
    await closed.aclose()
    assert (attempt.ok, attempt.result, attempt.error, attempt.retry) == (
        False,
        "refused",
        "connection refused",
        True,
    )
    logged = "\n".join(r.getMessage() for r in records)
    assert "notification 1017 (alert 42, alert): refused" in logged
    assert port not in logged
    assert PHONE not in logged
    assert "李值班" not in logged


async def test_a_hanging_service_is_a_timeout_and_holds_only_its_own_threads() -> None:
    async with WebhookReceiver() as rx:
        rx.mode = "hang"
        slow = channel(f"json://127.0.0.1:{rx.port}/bot", timeout_s=0.5, concurrency=2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempts = await asyncio.gather(*(slow.send(notice()) for _ in range(5)))
        elapsed = loop.time() - started
        assert len(rx.requests) == 2, "two worker threads: the other sends never started"
        rx.release()
        await slow.aclose()
    assert {(a.ok, a.result, a.retry) for a in attempts} == {(False, "timeout", True)}
    assert elapsed < 2.0


async def test_a_send_whose_time_ran_out_in_the_queue_is_never_sent() -> None:
    # Answered "timeout" (and retried) already: sent now, it would reach the person twice.
    async with WebhookReceiver() as rx:
        spent = await asyncio.to_thread(
            _deliver, f"json://127.0.0.1:{rx.port}/bot", "t", "b", time.monotonic() + 0.01
        )
        assert (spent.ok, spent.timed_out) == (False, True)
        sent = await asyncio.to_thread(
            _deliver, f"json://127.0.0.1:{rx.port}/bot", "t", "b", time.monotonic() + 5.0
        )
        assert sent.ok
    assert [r.path for r in rx.requests] == ["/bot"]


async def test_a_resolution_notice_says_it_is_over_and_carries_no_link() -> None:
    async with SmtpReceiver() as smtp:
        mail_channel = channel(mailto(smtp.port))
        await mail_channel.send(notice(Purpose.RESOLUTION))
        [mail] = await smtp.wait_for(1)
        await mail_channel.aclose()
    assert mail.subject.startswith("【已解除】SOS 求助")
    assert "解除：2026-11-29 10:40:00" in mail.text
    assert "此警報已處理，無需再回應。" in mail.text
    assert "http" not in mail.text


async def test_a_last_resort_on_a_shared_channel_says_nobody_was_found() -> None:
    async with SmtpReceiver() as smtp:
        mail_channel = channel(mailto(smtp.port))
        await mail_channel.send(
            notice(Purpose.LAST_RESORT, phone=None, name=None, key="last_resort")
        )
        [mail] = await smtp.wait_for(1)
        await mail_channel.aclose()
    assert mail.subject.startswith("【緊急：無人接手】")
    assert "找不到在班的值班人員或聯絡人" in mail.text
    assert "致：" not in mail.text
    assert ACK_URL in mail.text


async def test_the_setting_makes_one_chained_channel_per_url_in_order() -> None:
    channels = apprise_channels(
        "json://127.0.0.1:9/sms?-to={phone}, mailto://127.0.0.1:9?from=a@example.test&"
        "to=b@example.test,c@example.test, json://127.0.0.1:9/voice/{phone}",
        TZ,
    )
    assert [c.name for c in channels] == ["apprise:json#1", "apprise:mailto", "apprise:json#3"]
    assert [c.personal for c in channels] == [True, False, True]
    assert all(falls_back(c) for c in channels)
    for c in channels:
        await c.aclose()


async def test_the_process_wires_the_webhook_then_the_chain_in_the_order_of_the_setting() -> None:
    from tanfang.runtime import build_channels
    from tanfang.settings import Settings

    settings = Settings(
        webhook_url="http://127.0.0.1:9/hook",
        notify_urls="json://127.0.0.1:9/sms?-to={phone},mailto://127.0.0.1:9?from=t@example.test",
    )
    channels = build_channels(settings)
    assert [(c.name, falls_back(c)) for c in channels] == [
        ("webhook", False),
        ("apprise:json", True),
        ("apprise:mailto", True),
    ]
    for c in channels:
        await c.aclose()


async def test_apprise_raising_fails_the_attempt_without_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(url: str, title: str, body: str, cap_s: float) -> None:
        raise ValueError(f"cannot parse {url}")

    monkeypatch.setattr("alerting.apprise_channel._deliver", boom)
    bot = channel("json://bot:S3cretPw@127.0.0.1:9/bot")
    with root_records() as records:
        attempt = await bot.send(notice())
    await bot.aclose()
    assert (attempt.ok, attempt.result, attempt.error) == (False, "error", "ValueError")
    assert not [r for r in records if "S3cretPw" in r.getMessage()]
