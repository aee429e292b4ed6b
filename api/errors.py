"""Error answers: validation → 422 naming the field, a use case's refusal → its status
(not found 404, another town 403, a clash 409, a bad field 422), database trouble → 503."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Final

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.metrics import route_template
from care import errors as care_errors
from care import services as care_services
from care.audit import Attempt
from devices import errors as fleet_errors
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


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's own body, {"detail": [{"loc", "msg", "type", "input", ...}]}, made safe to
    # serialise: the echoed input may hold lone surrogates or an infinite number.
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    shown = [{**error, "input": _shown_input(error.get("input"))} for error in errors]
    return JSONResponse(status_code=422, content={"detail": _printable(jsonable_encoder(shown))})


# An echoed input is for the client to spot its mistake, not a copy of what it sent: a list
# or object refused whole is named by its size, a long text cut, so that a refusal costs
# the event loop no more than the body's parse.
_SHOWN_TEXT_CHARS: Final = 200


def _shown_input(value: object) -> object:
    if isinstance(value, str) and len(value) > _SHOWN_TEXT_CHARS:
        return value[:_SHOWN_TEXT_CHARS] + "…"
    if isinstance(value, list | tuple | dict) and value:
        return f"<{type(value).__name__} of {len(value)} items>"
    return value


# The status of each refusal a use case raises (an InvalidFieldError: 422 naming the field).
_REFUSAL_STATUS: Final[tuple[tuple[type[Exception], int], ...]] = (
    (care_errors.NotFoundError, 404),
    (care_errors.ForbiddenError, 403),
    (care_errors.ConflictError, 409),
    (fleet_errors.NotFoundError, 404),
    (fleet_errors.ForbiddenError, 403),
    (fleet_errors.ConflictError, 409),
    (fleet_errors.UnavailableError, 503),
)


async def _refused(request: Request, exc: Exception) -> Response:
    """A use case's refusal, in the same body a route's own HTTPException would give."""
    if isinstance(exc, care_errors.InvalidFieldError):
        return await _invalid_request(request, field_error(exc.loc, str(exc), exc.value))
    if isinstance(exc, fleet_errors.UnknownElderFieldError):
        loc = ("body", exc.field)
        return await _invalid_request(request, field_error(loc, str(exc), exc.value))
    if isinstance(exc, care_errors.ForbiddenError) and exc.attempt is not None:
        await _record_refusal(request, exc, exc.attempt)
    for kind, status_code in _REFUSAL_STATUS:
        if isinstance(exc, kind):
            return JSONResponse(status_code=status_code, content={"detail": str(exc)})
    raise exc


async def _record_refusal(
    request: Request, exc: care_errors.ForbiddenError, attempt: Attempt
) -> None:
    """A 403 on an elder's data, in the audit log, in a transaction of its own: the request's
    transaction has been rolled back. When the database fails here the refusal still
    answers 403 (it protected the data); the failure is logged."""
    asked = {"asked": f"{request.method} {route_template(request.scope)}", "reason": str(exc)}
    attempt = replace(attempt, detail={**(attempt.detail or {}), **asked})
    state = getattr(request.app.state, "tanfang", None)
    if state is None:
        return
    try:
        async with state.connection() as conn:
            await care_services.record_refusal(conn, attempt)
    except (psycopg.Error, StoreError) as failure:
        log.warning(
            "refusal not written to the audit log: %s %s: %s",
            request.method,
            route_template(request.scope),
            type(failure).__name__,
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI answers 400 to a JSON body it cannot decode (bytes that are not UTF-8, JSON
    nested beyond the parser's recursion limit); like any other malformed body, that is a
    422 naming the body."""
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError | RecursionError):
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": "the body is not UTF-8 JSON"}]
        return JSONResponse(status_code=422, content={"detail": detail})
    return await http_exception_handler(request, exc)


def _printable(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(care_errors.CareError, _refused)
    app.add_exception_handler(fleet_errors.FleetError, _refused)
    app.add_exception_handler(psycopg.Error, _database_unavailable)
    app.add_exception_handler(StoreError, _database_unavailable)
