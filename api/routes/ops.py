"""``/healthz``, ``/readyz`` and ``/metrics``: for monitoring, load balancers and Prometheus
(no auth).

``/healthz`` always answers 200 (the contract: "answers 200 with the state of the broker and
database connections") with ``status``: ``"ok"`` when the database and the broker are both
reachable and ingest moves, ``"degraded"`` when the database is but the broker is not, or
when the gateway in this process has messages waiting and none completed for a while
(``gateway.ingest.stalled``; the API still serves), or when every gateway has been silent
a minute (``gateways``: each gateway's last heartbeat; the ``gateway_outage`` alert's rule),
``"down"`` when the database is not (nothing can be served). ``/readyz`` is for load
balancers: 200 when the database answers and ingest is not stalled, 503 otherwise, so
traffic (and attention) goes elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import psycopg
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.responses import Response

from alerting import health_repo
from alerting.gateway_outage import outage
from api.state import AppState, StateDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])

_DATABASE_TIMEOUT_S: Final = 2.0
_NO_STORE: Final = {"Cache-Control": "no-store"}


@router.get(
    "/healthz",
    responses={200: {"description": "always; `status` is ok, degraded or down"}},
)
async def healthz(state: StateDep) -> JSONResponse:
    """The state of the database and broker connections; 200 whatever it is."""
    reading = await _database_and_gateways(state)
    database = reading.database
    broker = await _broker(state)
    body: dict[str, object] = {
        "database": database,
        "broker": broker,
        "gateways": reading.gateways,
    }
    if state.health is not None:
        # Whatever else the gateway reports (queue depth, last commit, …) rides along.
        reported = state.health.health()
        body["gateway"] = {key: value for key, value in reported.items() if key != "broker"}
    if not database["connected"]:
        status = "down"
    elif _stalled(state) or reading.all_silent:
        status = "degraded"
    elif broker.get("connected") is True or broker.get("configured") is False:
        status = "ok"
    else:
        status = "degraded"
    return JSONResponse(jsonable_encoder({"status": status, **body}), headers=_NO_STORE)


@router.get(
    "/readyz",
    responses={
        200: {"description": "the database answers: this instance can serve"},
        503: {"description": "the database is unreachable: send traffic elsewhere"},
    },
)
async def readyz(state: StateDep) -> JSONResponse:
    """Ready to serve: the database answers and ingest is not stalled (a broker that is
    down only pauses ingest: it is not stalled, nothing waits)."""
    database = await _database(state)
    stalled = _stalled(state)
    ready = bool(database["connected"]) and not stalled
    return JSONResponse(
        jsonable_encoder({"ready": ready, "database": database, "ingest_stalled": stalled}),
        status_code=200 if ready else 503,
        headers=_NO_STORE,
    )


async def _database(state: AppState) -> dict[str, object]:
    return (await _database_and_gateways(state, gateways=False)).database


@dataclass(frozen=True, slots=True)
class _Reading:
    database: dict[str, object]
    gateways: list[dict[str, object]]
    all_silent: bool  # every gateway silent a minute: the gateway_outage alert's rule


async def _database_and_gateways(state: AppState, *, gateways: bool = True) -> _Reading:
    """The database's state and, read on the same connection, every gateway's last
    heartbeat: ``seen_s_ago`` (alive), ``ingesting_s_ago`` (its ingest last worked)."""
    started = time.perf_counter()
    beats: list[health_repo.Heartbeat] = []
    try:
        async with state.pool.connection(timeout=_DATABASE_TIMEOUT_S) as conn:
            await conn.execute("SELECT 1")
            if gateways:
                beats = await health_repo.heartbeats(conn)
    except psycopg.Error as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return _Reading({"connected": False, "error": type(exc).__name__}, [], False)
    now = datetime.now(UTC)
    stats = state.pool.get_stats()
    database: dict[str, object] = {
        "connected": True,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        "pool_size": stats.get("pool_size", 0),
        "pool_available": stats.get("pool_available", 0),
    }
    shown = [_gateway(beat, now) for beat in beats]
    return _Reading(database, shown, outage([beat.silent_since for beat in beats], now))


def _gateway(beat: health_repo.Heartbeat, now: datetime) -> dict[str, object]:
    return {
        "client_id": beat.client_id,
        "seen_s_ago": round((now - beat.seen_at).total_seconds(), 1),
        "ingesting": beat.ingesting,
        "ingesting_s_ago": round((now - beat.silent_since).total_seconds(), 1),
    }


def _stalled(state: AppState) -> bool:
    """The gateway in this process has messages waiting and none completed for a while."""
    if state.health is None:
        return False
    ingest = state.health.health().get("ingest")
    return isinstance(ingest, Mapping) and ingest.get("stalled") is True


async def _broker(state: AppState) -> dict[str, object]:
    if state.health is None:
        return await state.probe.check()
    reported = state.health.health().get("broker")
    if not isinstance(reported, Mapping):
        return {"connected": False, "checked_by": "gateway", "error": "no broker state reported"}
    return {"checked_by": "gateway", **dict(reported)}


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus text exposition of the process's default registry."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
