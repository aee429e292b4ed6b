"""End to end: a vendor platform posts a signed SOS to a real ``tanfang serve`` process
(settings from the environment, as deployed); the device bound to the vendor's id has an
open critical ``sos`` alert when the 200 comes, and a retried delivery stores nothing again."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from pathlib import Path

import httpx
import orjson

from alerting.webhook import sign
from tests.api.conftest import elder_body
from tests.rig.ports import free_port
from tests.rig.tanfang_process import TanfangProcess, api_ready, settings_for


async def test_a_signed_vendor_sos_is_an_open_alert_when_tanfang_serve_answers(
    database_url: str, mqtt_url: str, topic_root: str, admin_token: str, tmp_path: Path
) -> None:
    secret = secrets.token_urlsafe(24)
    port = free_port()
    settings = settings_for(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_root=topic_root,
        admin_token=admin_token,
        api_port=port,
        client_id=f"tanfang-e2e-{uuid.uuid4().hex[:8]}",
        extra={"TANFANG_INGEST_SECRETS": f"acme:{secret}"},
    )
    base = f"http://127.0.0.1:{port}"
    serving = TanfangProcess("serve", settings, tmp_path / "serve.log").start()
    try:
        await asyncio.to_thread(serving.wait_until, api_ready(base, gateway=True))
        admin = {"Authorization": f"Bearer {admin_token}"}
        async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
            elder = await client.post("/api/v1/elders", json=elder_body("KP-60"), headers=admin)
            assert elder.status_code == 201, elder.text
            device = {
                "id": "pat-60",
                "type": "sos_button",
                "elder_id": "KP-60",
                "source": {"kind": "http:acme", "address": "PAT-60"},
            }
            created = await client.post("/api/v1/devices", json=device, headers=admin)
            assert created.status_code == 201, created.text

            body = orjson.dumps({"device_id": "PAT-60", "kind": "sos", "message_id": "e2e-1"})
            signed = {"X-Tanfang-Signature": sign(body, secret)}
            answer = await client.post("/api/v1/ingest/acme", content=body, headers=signed)
            assert answer.json() == {"stored": 1, "duplicate": 0, "refused": 0}
            alerts = await client.get("/api/v1/alerts", params={"type": "sos"}, headers=admin)
            opened = [(a["device_id"], a["severity"], a["status"]) for a in alerts.json()["items"]]
            assert opened == [("pat-60", "critical", "open")]

            retried = await client.post("/api/v1/ingest/acme", content=body, headers=signed)
            assert retried.json() == {"stored": 0, "duplicate": 1, "refused": 0}
            unsigned = await client.post("/api/v1/ingest/acme", content=body)
            assert unsigned.status_code == 401
    finally:
        await asyncio.to_thread(serving.stop)
