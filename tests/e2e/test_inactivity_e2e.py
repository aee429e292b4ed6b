"""End to end: a home goes quiet and an ``inactivity`` alert reaches the webhook — through
the real broker, a real ``tanfang serve`` process (its detection leader on the wall
clock), PostgreSQL and a local webhook receiver. The same home whose entrance door opened
before it went quiet (the elder went out) raises nothing.

The wall clock cannot be sped up in another process, so the homes' elders carry the
shortest threshold the file allows (``inactivity_alert_after_minutes`` = 1) and the test
waits about a minute and a half."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import psycopg

from devices.schema import events_topic
from tests.e2e.alerting_rig import TOWN, AlertRig, staff
from tests.gateway.helpers import Publisher
from tests.rig.services import Services
from tests.rig.webhook_receiver import Received, WebhookReceiver

QUIET = "KP-quiet"
GONE_OUT = "KP-out"
# Quiet from a little later than the one gone out: its alert is the proof that the sweeps
# went past the moment the one gone out would have been called inactive.
LATER = "KP-later"
# The threshold (1 min) counted from the gateway's start, a sweep every second, start-up.
DEADLINE_S = 150.0


async def register(url: str) -> None:
    """Three elders living alone with a one-minute threshold, each with a living-room motion
    sensor and an entrance door contact."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for elder in (QUIET, GONE_OUT, LATER):
            await conn.execute(
                "INSERT INTO elders (id, name, town, living_arrangement,"
                " inactivity_alert_after_minutes) VALUES (%s, '王小明', %s, 'alone', 1)",
                (elder, TOWN),
            )
            await conn.execute(
                "INSERT INTO devices (id, type, elder_id, room, heartbeat_interval_s) VALUES"
                " (%s, 'motion_sensor', %s, 'living_room', 3600),"
                " (%s, 'door_sensor', %s, 'entrance', 3600)",
                (f"pir-{elder}", elder, f"door-{elder}", elder),
            )


def send(publisher: Publisher, root: str, device: str, events: list[dict[str, object]]) -> None:
    publisher.publish(events_topic(root, device), orjson.dumps(events))


def of_elder(elder: str, alert_type: str) -> Callable[[Received], bool]:
    def match(r: Received) -> bool:
        alert = r.body.get("alert", {})
        return bool(alert.get("elder_id") == elder and alert.get("type") == alert_type)

    return match


async def test_a_quiet_home_reaches_the_webhook_as_inactivity_and_a_home_gone_out_does_not(
    services: Services, migrated_template: str, tmp_path: Path
) -> None:
    url = services.create_database(template=migrated_template)
    await register(url)
    root = f"test/{uuid.uuid4().hex[:12]}/v1"
    publisher = Publisher(services.mqtt_url)
    publisher.connect()
    async with WebhookReceiver() as rx:
        rig = AlertRig(
            url, services.mqtt_url, root, secrets.token_urlsafe(24), tmp_path, rx, publisher
        )
        try:
            await rig.serve({"TANFANG_DETECT_INTERVAL_S": "1"})
            headers = {"Authorization": f"Bearer {rig.admin_token}"}
            async with httpx.AsyncClient(base_url=rig.base, headers=headers, timeout=10) as api:
                await staff(api)  # someone on call for the town: the alert is sent to them
            now = time.time()
            for elder in (QUIET, GONE_OUT):
                send(publisher, root, f"pir-{elder}", [{"kind": "motion", "value": 1, "ts": now}])
            # The second elder goes out: the entrance door opens and closes, then silence.
            door = [
                {"kind": "door", "value": 1, "ts": now + 2},
                {"kind": "door", "value": 0, "ts": now + 8},
            ]
            send(publisher, root, f"door-{GONE_OUT}", door)
            for elder in (QUIET, LATER):
                send(publisher, root, f"door-{elder}", [{"kind": "heartbeat", "ts": now}])
            send(publisher, root, f"pir-{LATER}", [{"kind": "motion", "value": 1, "ts": now + 15}])
            [post] = await rig.posts(1, of_elder(QUIET, "inactivity"), deadline_s=DEADLINE_S)
            alert = post.body["alert"]
            assert alert["severity"] == "high"
            assert "no activity for" in alert["summary"]
            await rig.posts(1, of_elder(LATER, "inactivity"), deadline_s=DEADLINE_S)
            assert [r for r in rx.requests if of_elder(GONE_OUT, "inactivity")(r)] == []
            rows = await rig.sql("SELECT elder_id FROM alerts WHERE type = 'inactivity'")
            assert sorted(rows) == [(LATER,), (QUIET,)]
        finally:
            rx.release()
            await rig.stop_all()
            publisher.close()
            services.drop_database(url)
