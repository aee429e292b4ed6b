"""``/healthz`` and ``/metrics``: for load balancers, orchestrators and Prometheus (no auth).

``/healthz`` answers 200 with ``status: "ok"`` when the database and the broker are both
reachable, 200 with ``status: "degraded"`` when the database is but the broker is not (the
API still serves), and 503 with ``status: "down"`` when the database is not (nothing can be
served).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Final

import psycopg
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.responses import Response

from api.state import AppState, StateDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])

_DATABASE_TIMEOUT_S: Final = 2.0


@router.get(
    "/healthz",
    responses={
        200: {"description": "database reachable; `status` says whether the broker is too"},
        503: {"description": "database unreachable"},
    },
)
async def healthz(state: StateDep) -> JSONResponse:
    database = await _database(state)
    broker = await _broker(state)
    body: dict[str, object] = {"database": database, "broker": broker}
    if state.health is not None:
        # Whatever else the gateway reports (queue depth, last commit, …) rides along.
        reported = state.health.health()
        body["gateway"] = {key: value for key, value in reported.items() if key != "broker"}
    if not database["connected"]:
        status, code = "down", 503
    elif broker.get("connected") is True or broker.get("configured") is False:
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JSONResponse(
        jsonable_encoder({"status": status, **body}),
        status_code=code,
        headers={"Cache-Control": "no-store"},
    )


async def _database(state: AppState) -> dict[str, object]:
    started = time.perf_counter()
    try:
        async with state.pool.connection(timeout=_DATABASE_TIMEOUT_S) as conn:
            await conn.execute("SELECT 1")
    except psycopg.Error as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return {"connected": False, "error": type(exc).__name__}
    stats = state.pool.get_stats()
    return {
        "connected": True,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        "pool_size": stats.get("pool_size", 0),
        "pool_available": stats.get("pool_available", 0),
    }


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
