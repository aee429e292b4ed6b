"""The rig of the foreign-source tests: settings with zigbee2mqtt enabled under the test's
topic root, the gateway and the API as the composition root builds them, and binding through
the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.app import create_app
from gateway.service import Gateway
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.api.conftest import bearer, elder_body

KIND = "zigbee2mqtt"
ELDER = "KP-21"
VENDOR_SECRET = "vendor-secret-0123456789"


def foreign_settings(settings: Settings) -> Settings:
    """zigbee2mqtt on, its base topic under the test's root; one vendor platform ``acme``."""
    return settings.model_copy(
        update={
            "adapters": KIND,
            "zigbee2mqtt_base_topic": f"{settings.topic_root}/z2m",
            "ingest_secrets": f"acme:{VENDOR_SECRET}",
            "batch_max_ms": 20,
        }
    )


def gateway(settings: Settings, pool: Pool) -> Gateway:
    return runtime.build_gateway(settings, pool)


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the replayer and the HTTP ingest ``tanfang serve`` gives it."""
    app = create_app(
        settings,
        replayer=lambda pool: runtime.build_replayer(settings, pool),
        ingestor=lambda pool: runtime.build_ingestor(settings, pool),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
            yield c


async def bind(
    client: httpx.AsyncClient,
    admin_token: str,
    device_id: str,
    device_type: str,
    source: dict[str, str] | None,
) -> httpx.Response:
    """Register ``device_id`` in the home of ``ELDER`` (made when needed) bound to ``source``."""
    headers = bearer(admin_token)
    elder = await client.post("/api/v1/elders", json=elder_body(ELDER), headers=headers)
    assert elder.status_code in {201, 409}, elder.text
    body: dict[str, Any] = {"id": device_id, "type": device_type, "elder_id": ELDER}
    if source is not None:
        body["source"] = source
    return await client.post("/api/v1/devices", json=body, headers=headers)


async def bind_one(
    settings: Settings, admin_token: str, device_id: str, device_type: str, address: str
) -> None:
    """Register ``device_id`` bound to the zigbee2mqtt ``address``, through the API."""
    async with api(settings) as client:
        source = {"kind": KIND, "address": address}
        response = await bind(client, admin_token, device_id, device_type, source)
        assert response.is_success, response.text
