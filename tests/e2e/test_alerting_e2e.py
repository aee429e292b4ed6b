"""End to end (issue 11, "Verified by"): SOS presses published to the real Mosquitto reach a
real local webhook receiver through real ``tanfang`` processes and PostgreSQL, signed and in
the contract's shape; nobody acks → the contacts in order; the ack page's button stops the
escalation, its GET does not; a second SOS after the ack re-opens; an ack not followed by a
resolution re-opens with a reminder; nobody to notify → last resort; ``kill -9`` of the
escalator's process and two escalators on one database → each step exactly once; a webhook
answering 500 is retried and recorded; a hanging one holds up no other alert.

Steps are seconds apart (``SHORT_POLICY``): each test runs in seconds."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, Final

import httpx
import pytest

from alerting.webhook import NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, verify_signature
from tests.e2e.alerting_rig import (
    NOBODYS_TOWN,
    STEP_AFTER_S,
    AlertRig,
    notifications,
    of_alert,
    of_device,
    staffed_rig,
    until,
)
from tests.rig.services import Services
from tests.rig.tanfang_process import api_ready
from tests.rig.webhook_receiver import Received

API = "/api/v1"
# The webhook channel's own timeout: a POST cannot have been answered before it.
WEBHOOK_TIMEOUT_S = 5.0
# The ack timeout of SHORT_POLICY; and how long a step may take past its due time here.
ACK_TIMEOUT_S = 5.0
STEP_SLACK_S = 1.5
# The issue: a restart mid-escalation resumes within 5 s.
RESUME_S = 5.0


@pytest.fixture(scope="module")
async def rig(
    services: Services, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AlertRig]:
    """One database, one ``tanfang serve`` and one webhook receiver for the module: a
    process takes seconds to start, so the tests share it, each with homes of its own."""
    async with staffed_rig(
        services, migrated_template, tmp_path_factory.mktemp("alerting-e2e")
    ) as found:
        yield found


@pytest.fixture
async def api(rig: AlertRig) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the ``serve`` process's API."""
    async with admin_client(rig, rig.base) as client:
        yield client


@pytest.fixture(autouse=True)
def answering(rig: AlertRig) -> Iterator[None]:
    """Each test starts and ends with a receiver that answers."""
    rig.rx.mode = "ok"
    yield
    rig.rx.mode = "ok"
    rig.rx.release()


# An idle connection is dropped by the client before the server's keep-alive (uvicorn: 5 s)
# closes it: reusing one the server is closing fails the request ("Server disconnected").
CLIENT_LIMITS: Final = httpx.Limits(keepalive_expiry=2.0)


def admin_client(rig: AlertRig, base: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {rig.admin_token}"}
    return httpx.AsyncClient(base_url=base, headers=headers, timeout=10, limits=CLIENT_LIMITS)


async def resolved(api: httpx.AsyncClient, alert_id: str) -> None:
    """Resolve the test's alert: its escalation stops and leaves the next tests alone."""
    body = {"by": "值班員", "outcome": "false_alarm"}
    answer = await api.post(f"{API}/alerts/{alert_id}/resolve", json=body)
    assert answer.status_code == 200, answer.text


def who(post: Received) -> tuple[str, str | None, int]:
    recipient = post.body["recipient"]
    return recipient["role"], recipient["name"], post.body["level"]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def alert_of(api: httpx.AsyncClient, alert_id: str) -> dict[str, Any]:
    answer = await api.get(f"{API}/alerts/{alert_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def quiet_until(rig: AlertRig, alert_id: str, moment: float) -> None:
    """Poll the receiver until ``moment`` (epoch s): the alert gets no POST meanwhile."""
    before = len([r for r in rig.rx.requests if of_alert(alert_id)(r)])
    while time.time() < moment:
        now_count = len([r for r in rig.rx.requests if of_alert(alert_id)(r)])
        assert now_count == before, f"a notification after the ack: {rig.rx.requests[-1].body}"
        await asyncio.sleep(0.05)  # polling the receiver until the moment has passed


def next_due(opened: float, after: float) -> float:
    """The first step of SHORT_POLICY due after ``after`` (the town step repeats every 3 s)."""
    dues = [opened + s for s in STEP_AFTER_S] + [opened + STEP_AFTER_S[-1] + 3 * k for k in (1, 2)]
    return min(d for d in dues if d > after)


async def test_sos_reaches_the_on_call_signed_then_the_contacts_until_the_ack_page_confirms(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home()
    rig.press(device)
    [first] = await rig.posts(1, of_device(device))
    assert verify_signature(first.raw, rig.secret, first.headers[SIGNATURE_HEADER.lower()])
    body = first.body
    assert set(body) == {
        "alert", "recipient", "level", "sent_at", "ack_url", "notification_id", "purpose"
    }  # fmt: skip
    alert = body["alert"]
    assert (alert["type"], alert["severity"], alert["status"]) == ("sos", "critical", "open")
    assert alert["device_id"] == device
    assert body["recipient"] == {"role": "on_call", "name": "值班員", "phone": "13900000000"}
    assert (body["level"], body["purpose"]) == (0, "alert")
    assert first.headers[NOTIFICATION_ID_HEADER.lower()] == body["notification_id"]
    assert epoch(body["sent_at"]) >= epoch(alert["opened_at"])

    posts = await rig.posts(3, of_alert(alert["id"]))
    assert [who(p) for p in posts] == [
        ("on_call", "值班員", 0),
        ("contact", "聯絡人1", 1),
        ("contact", "聯絡人2", 2),
    ]
    assert all(verify_signature(p.raw, rig.secret, p.headers["x-tanfang-signature"]) for p in posts)
    ack_url = posts[2].body["ack_url"]
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(ack_url)
        assert page.status_code == 200
        assert (await alert_of(api, alert["id"]))["status"] == "open", "a GET acked the alert"
        confirmed = await browser.post(ack_url)
    assert confirmed.status_code == 200
    assert "已確認" in confirmed.text
    acked = await alert_of(api, alert["id"])
    assert acked["status"] == "acked"
    acked_at = epoch(acked["acked_at"])
    await quiet_until(
        rig, alert["id"], next_due(epoch(alert["opened_at"]), acked_at) + STEP_SLACK_S
    )
    escalation = await rig.sql(
        "SELECT phase FROM alert_escalations WHERE alert_id = %s", int(alert["id"])
    )
    assert escalation == [("ack_timeout",)]
    sent = await notifications(rig, alert["id"])
    assert [(n.step, n.status) for n in sent] == [(0, "sent"), (1, "sent"), (2, "sent")]
    await resolved(api, alert["id"])


async def test_a_second_sos_after_the_ack_reopens_the_alert_and_notifies_again(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home()
    rig.press(device)
    [first] = await rig.posts(1, of_device(device))
    alert_id = first.body["alert"]["id"]
    answer = await api.post(f"{API}/alerts/{alert_id}/ack", json={"by": "值班員"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "acked"

    rig.press(device)  # help has not come
    on_call = await rig.posts(2, lambda r: of_alert(alert_id)(r) and who(r)[0] == "on_call")
    again = on_call[1].body
    assert (again["alert"]["status"], again["level"], again["purpose"]) == ("open", 0, "alert")
    assert again["notification_id"] != first.body["notification_id"]
    detail = await alert_of(api, alert_id)
    assert [e["kind"] for e in detail["timeline"] if e["kind"] in ("acked", "reopened")] == [
        "acked",
        "reopened",
    ]
    sent = await notifications(rig, alert_id)
    assert (1, 0, "alert") in {(n.cycle, n.step, n.purpose) for n in sent}
    await resolved(api, alert_id)


async def test_an_ack_not_resolved_in_time_reopens_with_a_reminder_and_escalates_again(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home()
    rig.press(device)
    [first] = await rig.posts(1, of_device(device))
    alert_id = first.body["alert"]["id"]
    async with httpx.AsyncClient(timeout=10) as browser:
        confirmed = await browser.post(first.body["ack_url"])
    assert "已確認" in confirmed.text
    acked_at = epoch((await alert_of(api, alert_id))["acked_at"])

    [reminder] = await rig.posts(
        1, lambda r: of_alert(alert_id)(r) and r.body["purpose"] == "reminder"
    )
    assert who(reminder)[:2] == ("on_call", "值班員")  # the person who acked, by the link
    assert epoch(reminder.body["sent_at"]) >= acked_at + ACK_TIMEOUT_S
    assert reminder.body["alert"]["status"] == "open"
    detail = await alert_of(api, alert_id)
    assert detail["status"] == "open"
    assert [e["kind"] for e in detail["timeline"] if e["kind"] in ("acked", "reopened")] == [
        "acked",
        "reopened",
    ]
    # The escalation starts again from its first step, as a new cycle.
    [(cycle, phase, next_step)] = await rig.sql(
        "SELECT cycle, phase, next_step FROM alert_escalations WHERE alert_id = %s",
        int(alert_id),
    )
    assert (cycle, phase, next_step) == (1, "step", 0)
    await resolved(api, alert_id)


async def test_an_elder_with_no_contacts_and_nobody_on_duty_gets_last_resort_notifications(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home(town=NOBODYS_TOWN, contacts=0)
    rig.press(device)
    # Every step finds nobody: each is skipped at once and goes to every channel instead.
    posts = await rig.posts(len(STEP_AFTER_S), of_device(device))
    assert {p.body["purpose"] for p in posts} == {"last_resort"}
    assert all(p.body["recipient"]["role"] == "on_call" for p in posts)
    assert all(p.body["ack_url"] for p in posts)
    alert_id = posts[0].body["alert"]["id"]
    detail = await alert_of(api, alert_id)
    skipped = [e for e in detail["timeline"] if e["kind"] == "step_skipped"]
    assert len(skipped) >= len(STEP_AFTER_S)
    sent = await notifications(rig, alert_id)
    assert [n.step for n in sent][: len(STEP_AFTER_S)] == list(range(len(STEP_AFTER_S)))
    await resolved(api, alert_id)


def steps_once(rig: AlertRig, alert_id: str, rows: dict[int, int]) -> Counter[int]:
    """How many POSTs each step of the alert got (by the notification id's database row),
    after checking that no notification id came twice."""
    posts = [p for p in rig.rx.requests if of_alert(alert_id)(p)]
    ids = Counter(p.body["notification_id"] for p in posts)
    assert [i for i, n in ids.items() if n > 1] == [], "a notification was delivered twice"
    return Counter(rows[int(p.body["notification_id"])] for p in posts)


async def test_kill_9_of_the_escalators_process_mid_escalation_sends_each_step_once(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home()
    rig.press(device)
    [first] = await rig.posts(1, of_device(device))
    alert_id = first.body["alert"]["id"]
    # Mid-escalation: the first contact's step was delivered and recorded, the next one due.
    await until(
        lambda: notifications(rig, alert_id),
        lambda sent: [(n.step, n.status) for n in sent] == [(0, "sent"), (1, "sent")],
        what="contact 1 notified",
    )
    assert rig.serving is not None
    await asyncio.to_thread(rig.serving.kill9)
    killed = time.time()
    await rig.serve()
    ready = time.time()
    posts = await rig.posts(5, of_alert(alert_id), deadline_s=20)
    after = [p.at for p in posts if p.at > killed]
    assert after, "the escalation did not resume after the kill"
    # The new process's escalator may send before its API answers ready (it starts first):
    # never later than RESUME_S after.
    assert min(after) - ready < RESUME_S
    rows = {n.id: n.step for n in await notifications(rig, alert_id)}
    per_step = steps_once(rig, alert_id, rows)
    assert sorted(per_step.items())[:5] == [(step, 1) for step in range(5)]
    await resolved(api, alert_id)


async def test_two_escalators_on_one_database_send_each_step_once(rig: AlertRig) -> None:
    # The serve process's escalator, and a second one in a `tanfang api` process.
    second = rig.spawn("api")
    base = f"http://127.0.0.1:{second.settings['TANFANG_API_PORT']}"
    try:
        await asyncio.to_thread(second.wait_until, api_ready(base, gateway=False))
        devices = [await rig.new_home() for _ in range(8)]
        for device in devices:
            rig.press(device)
        # On-call, contact 1 and contact 2 of each alert.
        posts = await rig.posts(
            3 * len(devices),
            lambda r: (
                r.body.get("alert", {}).get("device_id") in devices and r.body.get("level", 9) <= 2
            ),
        )
    finally:
        await asyncio.to_thread(second.stop, 10)
    alerts = {p.body["alert"]["id"] for p in posts}
    assert len(alerts) == len(devices)
    async with admin_client(rig, rig.base) as api:
        for alert_id in alerts:
            rows = {n.id: n.step for n in await notifications(rig, alert_id)}
            per_step = steps_once(rig, alert_id, rows)
            assert [per_step[step] for step in range(3)] == [1, 1, 1]
            await resolved(api, alert_id)


async def test_a_webhook_answering_500_is_retried_and_every_attempt_is_in_the_timeline(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    device = await rig.new_home()
    rig.rx.mode = "fail500"
    rig.press(device)
    [failed] = await rig.posts(1, of_device(device))
    rig.rx.mode = "ok"
    retried = (await rig.posts(2, of_device(device)))[1]
    notification_id = failed.body["notification_id"]
    assert retried.body["notification_id"] == notification_id
    alert_id = failed.body["alert"]["id"]

    async def attempts() -> list[tuple[str, str | None]]:
        timeline = (await alert_of(api, alert_id))["timeline"]
        return [
            (e["kind"], e["result"])
            for e in timeline
            if (e.get("detail") or {}).get("notification_id") == notification_id
        ]

    found = await until(attempts, lambda a: ("notified", "200") in a, what="the retry recorded")
    assert found == [("notify_failed", "500"), ("notified", "200")]
    await resolved(api, alert_id)


async def test_a_hanging_webhook_does_not_hold_up_another_alerts_notification(
    rig: AlertRig, api: httpx.AsyncClient
) -> None:
    first, second = await rig.new_home(), await rig.new_home()
    rig.rx.mode = "hang"
    rig.press(first)
    [hanging] = await rig.posts(1, of_device(first))
    rig.rx.mode = "ok"
    pressed = time.time()
    rig.press(second)
    # Within the channel's timeout: the first POST is still hanging when this one arrives.
    [other] = await rig.posts(1, of_device(second), deadline_s=WEBHOOK_TIMEOUT_S - 1)
    assert other.at - pressed < WEBHOOK_TIMEOUT_S - 1
    assert other.at - hanging.at < WEBHOOK_TIMEOUT_S
    rig.rx.release()
    for device in (first, second):
        [alert_id] = {p.body["alert"]["id"] for p in rig.rx.requests if of_device(device)(p)}
        await resolved(api, alert_id)
