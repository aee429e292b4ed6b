"""End to end: an SOS pressed on a Ping An Tong button, published to the real broker, goes
through the gateway as ``tanfang gateway`` composes it and is an open ``sos`` alert at
``GET /api/v1/alerts`` with its timeline; a second press counts on it; after the ack a third
press re-opens it (help has not come)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from api.app import create_app
from devices.schema import events_topic
from store.pool import Pool
from tanfang import runtime
from tanfang.settings import Settings
from tests.gateway.helpers import Publisher, poll, register, running

API = "/api/v1"


@pytest.fixture
async def api(settings: Settings, pool: Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, pool=pool)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
            c.headers["Authorization"] = f"Bearer {settings.admin_token}"
            yield c


async def test_sos_presses_become_one_alert_counted_acked_and_reopened(
    settings: Settings,
    pool: Pool,
    database_url: str,
    publisher: Publisher,
    api: httpx.AsyncClient,
) -> None:
    await register(database_url, ["pat-1"], device_type="sos_button")
    topic = events_topic(settings.topic_root, "pat-1")
    gw = runtime.build_gateway(settings.model_copy(update={"batch_max_ms": 20}), pool)

    async def listed() -> list[dict[str, Any]]:
        response = await api.get(f"{API}/alerts", params={"type": "sos"})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async with running(gw):
        publisher.publish(topic, orjson.dumps({"kind": "sos", "seq": 1}))
        first = (await poll(listed, bool, what="the SOS alert"))[0]
        assert (first["status"], first["elder_id"], first["count"]) == ("open", "KP-1", 1)
        assert first["severity"] == "critical"

        publisher.publish(topic, orjson.dumps({"kind": "sos", "seq": 2}))
        again = await poll(listed, lambda items: items[0]["count"] == 2, what="counted twice")
        assert [a["id"] for a in again] == [first["id"]]

        url = f"{API}/alerts/{first['id']}"
        acked = await api.post(f"{url}/ack", json={"by": "值班員"})
        assert acked.status_code == 200, acked.text
        assert acked.json()["status"] == "acked"

        publisher.publish(topic, orjson.dumps({"kind": "sos", "seq": 3}))
        reopened = await poll(listed, lambda items: items[0]["status"] == "open", what="re-opened")
    assert [(a["id"], a["count"], a["acked_at"]) for a in reopened] == [(first["id"], 3, None)]
    detail = (await api.get(url)).json()
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "acked", "reopened"]
