"""Error answers: validation → 422 naming the field, database trouble → 503."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.metrics import route_template
from store.errors import StoreError

log = logging.getLogger(__name__)


def field_error(loc: tuple[str | int, ...], message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's own shape, for checks that need the database or several fields."""
    return RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": value}]
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # One line per failed request, without the driver's message: it may quote row values.
    sqlstate = getattr(exc, "sqlstate", None)
    log.warning(
        "database unavailable: %s %s: %s (sqlstate %s)",
        request.method,
        route_template(request.scope),
        type(exc).__name__,
        sqlstate,
    )
    return JSONResponse(
        status_code=503,
        content={"detail": "database unavailable, try again shortly"},
        headers={"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(psycopg.Error, _database_unavailable)
    app.add_exception_handler(StoreError, _database_unavailable)
