"""End to end: two gateway processes on one shared subscription group elect one detection
leader; killed with SIGKILL, the leader is replaced by the other, which goes on detecting
from the events in the database — those the dead one stored included — and the quiet
homes' ``inactivity`` alerts reach the webhook, once each."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from pathlib import Path
from typing import TypeVar

import httpx
import orjson

from devices.schema import events_topic
from tests.e2e.alerting_rig import AlertRig, staff, until
from tests.e2e.test_inactivity_e2e import of_elder, register
from tests.gateway.helpers import Publisher
from tests.rig.ports import free_port
from tests.rig.services import Services
from tests.rig.tanfang_process import TanfangProcess, api_ready, settings_for
from tests.rig.webhook_receiver import WebhookReceiver

T = TypeVar("T")
LEADS = "detection: this gateway leads"
HOMES = ("KP-quiet", "KP-out", "KP-later")
DEADLINE_S = 150.0


def leads(process: TanfangProcess) -> bool:
    return LEADS in process.log.read_text(errors="replace")


async def test_two_gateways_elect_one_leader_and_the_survivor_of_a_kill_goes_on_detecting(
    services: Services, migrated_template: str, tmp_path: Path
) -> None:
    url = services.create_database(template=migrated_template)
    await register(url)
    root = f"test/{uuid.uuid4().hex[:12]}/v1"
    publisher = Publisher(services.mqtt_url)
    publisher.connect()
    processes: list[TanfangProcess] = []
    group = f"group-{uuid.uuid4().hex[:8]}"
    async with WebhookReceiver() as rx:
        rig = AlertRig(
            url, services.mqtt_url, root, secrets.token_urlsafe(24), tmp_path, rx, publisher
        )
        try:
            for n, command in enumerate(("serve", "gateway")):
                settings = settings_for(
                    database_url=url,
                    mqtt_url=services.mqtt_url,
                    topic_root=root,
                    admin_token=rig.admin_token,
                    api_port=rig.port if command == "serve" else free_port(),
                    client_id=f"tanfang-e2e-{uuid.uuid4().hex[:8]}",
                    extra={
                        "TANFANG_WEBHOOK_URL": rx.url,
                        "TANFANG_DETECT_INTERVAL_S": "1",
                        "TANFANG_SHARED_GROUP": group,
                    },
                )
                process = TanfangProcess(command, settings, tmp_path / f"{command}-{n}.log")
                processes.append(process.start())
            await asyncio.to_thread(processes[0].wait_until, api_ready(rig.base, gateway=True))
            headers = {"Authorization": f"Bearer {rig.admin_token}"}
            async with httpx.AsyncClient(base_url=rig.base, headers=headers, timeout=10) as api:
                await staff(api)
            found = await until(
                lambda: _now([p for p in processes if leads(p)]), bool, what="a leader"
            )
            [leader] = found
            # Both gateways take a share of the homes' messages (the broker's choice).
            now = time.time()
            for i in range(20):
                for elder in HOMES:
                    body = orjson.dumps([{"kind": "heartbeat", "seq": i, "ts": now}])
                    publisher.publish(events_topic(root, f"door-{elder}"), body)
                    motion = [{"kind": "motion", "value": 1, "seq": i, "ts": now + i * 0.1}]
                    publisher.publish(events_topic(root, f"pir-{elder}"), orjson.dumps(motion))
            await until(
                lambda: rig.sql("SELECT count(*) FROM events"),
                lambda rows: rows[0][0] >= 120,
                what="every event stored",
            )
            await asyncio.to_thread(leader.kill9)
            [survivor] = [p for p in processes if p is not leader]
            await until(lambda: _now(leads(survivor)), bool, what="the survivor leads")
            for elder in HOMES:
                await rig.posts(1, of_elder(elder, "inactivity"), deadline_s=DEADLINE_S)
            rows = await rig.sql(
                "SELECT elder_id, count(*) FROM alerts WHERE type = 'inactivity' GROUP BY 1"
            )
            assert sorted(rows) == sorted((elder, 1) for elder in HOMES)
        finally:
            rx.release()
            for process in processes:
                await asyncio.to_thread(process.stop, 10)
            publisher.close()
            services.drop_database(url)


async def _now(value: T) -> T:
    return value
