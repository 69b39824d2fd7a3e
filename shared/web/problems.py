"""Exception handlers: every error leaves as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.audit.trail import record_denial
from shared.errors import PROBLEM_JSON, Problem, Unprocessable

log = logging.getLogger("wardgate.errors")


def problem_bytes(problem: Problem) -> bytes:
    """The serialized problem document."""
    return orjson.dumps(problem.body())


def problem_response(problem: Problem) -> Response:
    """A problem+json response (also for routes that commit, then answer with an error)."""
    return Response(
        problem_bytes(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    """422 naming each field that is wrong (input values are never echoed)."""
    fields = [
        {
            "field": _field(e.get("loc", ())),
            "loc": list(e.get("loc", ())),
            "msg": e.get("msg", "invalid"),
            "type": e.get("type", "value_error"),
        }
        for e in errors
    ]
    summary = "; ".join(f"{f['field']}: {f['msg']}" for f in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return Unprocessable(
        f"The request is not valid: {summary}{more}.", code="validation_error", errors=fields
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if exc.status in (401, 403):
        record_denial(request, exc.status, exc.detail)  # the middleware writes it, once
    return problem_response(exc)


async def _on_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return problem_response(validation_problem(list(exc.errors())))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.routes
        )
    ]
    return ", ".join(allowed)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    problem = Problem(
        str(exc.detail),
        status=exc.status_code,
        code=codes.get(exc.status_code, "http_error"),
        headers=headers,
    )
    return problem_response(problem)


# PostgreSQL deadlock, serialization failure, lock not available; SQLite's busy database.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


def is_transient_database_error(exc: BaseException) -> bool:
    """True for conflicts a client should simply retry (nothing was committed)."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


# PostgreSQL shutting down or restarting (admin/crash/cannot-connect-now); class 08: the
# connection itself failed.
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03"}


def is_unavailable_database_error(exc: BaseException) -> bool:
    """True when the database could not be reached or dropped the connection (restart)."""
    if not isinstance(exc, OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
    return type(exc.orig).__module__.startswith("psycopg")  # failed to connect at all


def _retry_later(detail: str, code: str) -> Response:
    """A 503 the client is asked to retry in a second."""
    problem = Problem(detail, status=503, code=code, headers={"Retry-After": "1"})
    return problem_response(problem)


async def _on_database_error(request: Request, exc: Exception) -> Response:
    if is_unavailable_database_error(exc):
        # Pooled connections are not pinged before use (a round trip per request): after a
        # PostgreSQL restart the first use of each dead connection lands here, and the pool
        # reconnects for the next request.
        log.warning("database unreachable or connection lost; client asked to retry")
        return _retry_later(
            "The database cannot be reached right now. Retry.", "database_unavailable"
        )
    if is_transient_database_error(exc):
        log.warning("transient database conflict; client asked to retry")
        return _retry_later(
            "The database was busy with a conflicting change; nothing was saved. Retry.",
            "database_busy",
        )
    return await _on_unexpected(request, exc)


async def _on_pool_timeout(_request: Request, _exc: Exception) -> Response:
    # Every pooled connection stayed in use for WARDGATE_DB_POOL_TIMEOUT_S: overload, which
    # the client can wait out, not a fault of the request.
    log.warning("no free database connection in time; client asked to retry")
    return _retry_later(
        "Every database connection is in use; nothing was saved. Retry.", "database_busy"
    )


async def _on_unexpected(_request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    problem = Problem(
        "An unexpected error occurred; it has been logged.", status=500, code="internal_error"
    )
    return problem_response(problem)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the one renderer for every kind of error."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)
    app.add_exception_handler(Exception, _on_unexpected)
