"""Recovery after a database outage: held events, API requests and the device registry
work again within 2 s of the database's return, however long it was away.

The outage is made by a TCP proxy between the gateway (and the API) and the rig's
PostgreSQL, cut and restored (tests/rig/tcpproxy.py): the shared database keeps running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson
import psycopg
import pytest

from api.app import create_app
from devices.schema import events_topic
from tanfang.settings import Settings
from tests.api.conftest import bearer
from tests.gateway.helpers import Publisher, poll, probe, register, running_gateway, scalar
from tests.rig.tcpproxy import TcpProxy, tcp_proxy

# Long enough that the old backoffs had grown large: the pool's doubling delay had reached
# 32 s (its next attempt 23 s after this outage), the writer's 5 s, the registry's 30 s.
OUTAGE_S = 40.0
# What the gateway and the API owe after the database is back.
RECOVERY_S = 2.0
# An API request during the outage must answer 503 about this fast (not hang).
FAIL_FAST_S = 1.5

pytestmark = pytest.mark.slow


def through(url: str, proxy: TcpProxy) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.update(host="127.0.0.1", port=str(proxy.port))
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    async with tcp_proxy(str(info.get("host", "127.0.0.1")), int(str(info["port"]))) as opened:
        yield opened


@asynccontextmanager
async def _api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API on ``settings``'s database, its lifespan running (its own pool)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanfang.test") as c:
            yield c


async def stored(database_url: str) -> int:
    return int(await scalar(database_url, "SELECT count(*) FROM events"))


async def test_after_a_long_outage_held_events_and_api_calls_recover_within_2s(
    settings: Settings, database_url: str, mqtt_url: str, proxy: TcpProxy, admin_token: str
) -> None:
    # A wearable: it may send motion, heart rate and an SOS (devices.kinds.ALLOWED_KINDS).
    await register(database_url, ["pat-1"], device_type="wearable")
    via = settings.model_copy(update={"database_url": through(database_url, proxy)})
    topic = events_topic(settings.topic_root, "pat-1")
    device = Publisher(mqtt_url)
    device.connect()
    try:
        async with running_gateway(via) as gateway, _api(via) as api:
            headers = bearer(admin_token)
            assert (await api.get("/api/v1/devices/pat-1", headers=headers)).status_code == 200
            device.publish(topic, orjson.dumps({"kind": "motion", "value": 1, "seq": 1}))
            await poll(lambda: stored(database_url), lambda n: n == 1, what="the first event")

            await proxy.cut()
            for seq, kind, value in ((2, "motion", 1), (3, "sos", None), (4, "heart_rate", 72)):
                body = {"kind": kind, "seq": seq, **({} if value is None else {"value": value})}
                device.publish(topic, orjson.dumps(body))
            await poll(
                probe(gateway.health),
                lambda h: h["broker"]["inflight"] == 3 and h["database"]["failing"],  # type: ignore[index]
                what="the outage's events held, commits failing",
            )
            # The first call may draw a connection the cut left broken; the next ones find
            # the pool without any, and must not wait long for one.
            for _ in range(3):
                started = time.monotonic()
                answer = await api.get("/api/v1/devices/pat-1", headers=headers)
                assert answer.status_code == 503
                assert time.monotonic() - started < FAIL_FAST_S

            # A device registered meanwhile (straight into the database, which is up): the
            # registry learns of it when its listening link reopens.
            await register(database_url, ["pat-2"], elder_id="KP-2")
            await asyncio.sleep(OUTAGE_S)  # the outage itself: the scenario, not a wait
            assert "pat-2" not in gateway.registry
            assert await stored(database_url) == 1
            assert gateway.health()["broker"]["inflight"] == 3  # type: ignore[index]

            await proxy.restore()
            restored = time.monotonic()
            await asyncio.gather(
                poll(
                    lambda: stored(database_url),
                    lambda n: n == 4,
                    deadline_s=RECOVERY_S,
                    what="the outage's events, the SOS among them, committed",
                ),
                poll(
                    lambda: api.get("/api/v1/devices/pat-1", headers=headers),
                    lambda r: r.status_code == 200,
                    deadline_s=RECOVERY_S,
                    what="the API answering",
                ),
                poll(
                    probe(lambda: "pat-2" in gateway.registry),
                    bool,
                    deadline_s=RECOVERY_S,
                    what="the registry reloaded",
                ),
            )
            assert time.monotonic() - restored < RECOVERY_S
            await poll(
                probe(gateway.health),
                lambda h: h["broker"]["inflight"] == 0,  # type: ignore[index]
                deadline_s=RECOVERY_S,
                what="the held messages acknowledged",
            )
    finally:
        device.close()
    kinds = await scalar(database_url, "SELECT array_agg(kind ORDER BY seq) FROM events")
    assert kinds == ["motion", "motion", "sos", "heart_rate"]
