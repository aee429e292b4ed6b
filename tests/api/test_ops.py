"""/healthz, /readyz, /metrics, the OpenAPI document, and a database gone mid-flight."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.config import ConfigError
from api.health import BrokerProbe
from store.pool import Pool
from tanfang.settings import Settings
from tests.api.conftest import execute
from tests.rig.ports import free_port
from tests.rig.services import Services


class FakeGateway:
    def __init__(self, connected: bool) -> None:
        self.connected = connected

    def health(self) -> Mapping[str, object]:
        return {
            "broker": {"connected": self.connected, "session_present": True},
            "queue_depth": 3,
        }


async def _get(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        return await client.get(path, headers=headers)


async def test_healthz_is_ok_when_database_and_broker_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["connected"] is True
    assert body["broker"]["connected"] is True
    assert body["broker"]["checked_by"] == "api"


async def test_healthz_shows_each_gateways_last_heartbeat_and_degrades_when_all_are_silent(
    client: httpx.AsyncClient, database_url: str
) -> None:
    beat = (
        "INSERT INTO gateway_heartbeats (client_id, first_seen_at, started_at, seen_at,"
        " ingesting, ingesting_at) VALUES (%s, now() - interval '1 day',"
        " now() - interval '1 day', now() - %s::interval, %s, now() - %s::interval)"
    )
    await execute(database_url, beat, ("gw-a", "90 seconds", False, "90 seconds"))
    body = (await client.get("/healthz")).json()
    assert body["status"] == "degraded"
    [gateway] = body["gateways"]
    assert gateway["client_id"] == "gw-a"
    assert gateway["ingesting"] is False
    assert 89 <= gateway["seen_s_ago"] < 120
    await execute(database_url, beat, ("gw-b", "2 seconds", True, "2 seconds"))
    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok"
    assert [g["client_id"] for g in body["gateways"]] == ["gw-a", "gw-b"]
    assert body["gateways"][1]["ingesting_s_ago"] < 60


async def test_readyz_is_200_without_a_token_when_the_database_answers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["ready"] is True
    assert response.headers["cache-control"] == "no-store"


async def test_healthz_is_degraded_but_200_when_the_broker_is_unreachable(
    settings: Settings,
) -> None:
    closed = settings.model_copy(update={"mqtt_url": f"mqtt://127.0.0.1:{free_port()}"})
    response = await _get(create_app(closed), "/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["connected"] is False


async def test_healthz_reports_the_broker_state_of_a_gateway_in_process(
    settings: Settings, pool: Pool
) -> None:
    app = create_app(settings, pool=pool, health=FakeGateway(connected=False))
    response = await _get(app, "/healthz")
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == {
        "checked_by": "gateway",
        "connected": False,
        "session_present": True,
    }
    assert response.json()["gateway"] == {"queue_depth": 3}
    assert not pool.closed  # a pool handed in is left open


async def test_database_gone_healthz_says_down_with_200_readyz_and_requests_503(
    client: httpx.AsyncClient, admin: dict[str, str], services: Services, database_url: str
) -> None:
    services.drop_database(database_url)
    health = await client.get("/healthz")
    assert health.status_code == 200  # the contract: 200 with the state of the connections
    assert health.json()["status"] == "down"
    assert health.json()["database"]["connected"] is False
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    response = await client.get("/api/v1/elders", headers=admin)
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable, try again shortly"}


async def test_metrics_counts_requests_by_route_template(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.get("/api/v1/elders/KP-404", headers=admin)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "tanfang_api_requests_total{" in text
    assert 'route="/api/v1/elders/{elder_id}",status="404"' in text
    assert "KP-404" not in text
    assert "tanfang_api_request_duration_seconds_bucket" in text


async def test_openapi_lists_the_routes_with_tags(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/devices/{device_id}/events" in spec["paths"]
    assert {"elders", "devices", "dead letters", "tokens"} <= {t["name"] for t in spec["tags"]}
    assert "ElderCreate" in spec["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 200


async def test_broker_probe_caches_its_answer_for_its_ttl(mqtt_url: str) -> None:
    now = [0.0]
    probe = BrokerProbe(mqtt_url, ttl_s=5.0, clock=lambda: now[0])
    first = await probe.check()
    assert first["connected"] is True
    assert "@" not in str(first["address"])
    assert await probe.check() is first
    now[0] = 6.0
    assert await probe.check() is not first


async def test_lifespan_migrates_an_empty_database_before_serving(
    settings: Settings, empty_database_url: str, admin_token: str
) -> None:
    fresh = settings.model_copy(update={"database_url": empty_database_url})
    response = await _get(
        create_app(fresh), "/api/v1/devices", {"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_lifespan_without_a_database_url_refuses_to_start(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"database_url": None}))
    with pytest.raises(ConfigError, match="TANFANG_DATABASE_URL"):
        async with app.router.lifespan_context(app):
            pass


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://user:secret@broker.example:1884", "broker.example:1884"),
        ("mqtts://broker.example", "broker.example:8883"),
        ("mqtt://broker.example", "broker.example:1883"),
    ],
)
async def test_broker_probe_reports_host_and_port_never_credentials(url: str, address: str) -> None:
    answer = await BrokerProbe(url, timeout_s=0.01)._connect()
    assert answer["address"] == address
    assert "secret" not in str(answer)


@pytest.mark.parametrize("url", [None, "", "mqtt://broker.example:port"])
async def test_broker_probe_without_a_usable_url_says_not_configured(url: str | None) -> None:
    assert (await BrokerProbe(url).check())["configured"] is False
