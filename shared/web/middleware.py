"""One pure ASGI middleware: request id, the 10 MiB body limit, control characters in the
query string, the token before the body, denial auditing, metrics and the access log.

It sits on every request's hot path, so it reads only the two headers it needs, reuses
metric children and builds no log record when access logging is off."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit.denials import DenialLedger
from shared.audit.trail import denial_of, note_denial, noted_denial
from shared.errors import PayloadTooLarge, Problem
from shared.web.context import request_id_var
from shared.web.problems import problem_bytes
from shared.web.query_guard import query_refusal
from shared.web.token_gate import token_refusal

MAX_BODY_BYTES = 10 * 1024 * 1024
# All request headers together (names and values). Generous for an 8 KiB token and cookies;
# the server itself (uvicorn with httptools) takes headers of any size.
MAX_HEADER_BYTES = 64 * 1024
PROBLEM = b"application/problem+json"
log = logging.getLogger("wardgate.access")


class ServiceMetrics:
    """Request counters and latency histograms in the service's own registry."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wardgate_requests_total",
            "HTTP requests handled",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wardgate_request_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        """Count one request and its latency."""
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
            self._children[key] = child
        child[0].inc()
        child[1].observe(elapsed)


# Checked on the raw bytes: decoded as latin-1, 0xE9 is the letter "é" and passed an
# isalnum() test, then broke every outbound call that carried the id on (httpx sends ASCII).
_REQUEST_ID = re.compile(rb"[A-Za-z0-9_-]{1,64}")


def _valid_request_id(value: bytes | None) -> str:
    """The caller's request id when it is 1-64 ASCII letters, digits, `-` or `_`; else fresh."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value.decode("ascii")
    return os.urandom(16).hex()  # 32 hex digits as uuid4().hex, in a quarter of the time


class RequestMiddleware:
    """Tags the request, refuses oversized bodies and token-less bodies, audits every denial,
    and records metrics and one log line."""

    def __init__(
        self, app: ASGIApp, metrics: ServiceMetrics, denials: DenialLedger | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.denials = denials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given_rid = length = None
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"x-request-id":
                given_rid = value
            elif name == b"content-length":
                length = value.decode("latin-1")
        rid = _valid_request_id(given_rid)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status, seen = 500, 0
        # Set when the middleware itself answers instead of the app: a body over 10 MiB, or a
        # route that needs a token asking for the body of a request without a valid one.
        refusal: Problem | None = None
        answered = audited = body_asked = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, answered, audited
            if refusal is not None:
                # Whatever the app made of the refused body, the answer is the refusal and
                # the app's own messages are dropped.
                if not answered:
                    answered = True
                    status = refusal.status
                    if status == 401:
                        note_denial(scope, status, refusal.detail)
                    audited = await self._audit(scope, rid, status)
                    await _send_problem(send, rid, refusal)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                audited = await self._audit(scope, rid, status)  # before the client sees it
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        async def limited_receive() -> Message:
            nonlocal refusal, seen, body_asked
            if not body_asked:
                body_asked = True
                refusal = token_refusal(scope)  # the router has matched the route by now
                if refusal is not None:
                    raise refusal
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    refusal = PayloadTooLarge("The request body is larger than 10 MiB.")
                    raise refusal
            return message

        try:
            if header_bytes > MAX_HEADER_BYTES:
                status = 431
                await _send_problem(send, rid, HEADERS_TOO_LARGE)
            elif length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                # Answered here so the refusal is problem+json like every other error.
                status = 413
                await _send_413(send, rid)
            elif (bad_query := query_refusal(scope.get("query_string", b""))) is not None:
                status = 422  # a control character in the query string, for any route or page
                await _send_problem(send, rid, bad_query)
            else:
                try:
                    await self.app(scope, limited_receive, send_wrapper)
                except Exception:
                    if refusal is None or answered:
                        raise
                    await send_wrapper({"type": "http.response.start", "status": 500})
        finally:
            try:
                if not audited and noted_denial(scope) is not None:
                    await self._audit(scope, rid, status)  # noted, but answered otherwise
            finally:
                self._observe(scope, status, time.perf_counter() - started)
                request_id_var.reset(token)

    async def _audit(self, scope: Scope, rid: str, status: int) -> bool:
        """Hand a denial (401/403, or one a handler noted) to the ledger; True if it was one."""
        if self.denials is None:
            return False
        denial = denial_of(scope, rid, status)
        if denial is None:
            return False
        if not self.denials.count_only(denial):  # the flood's path stays in memory
            await run_in_threadpool(self.denials.record, denial)
        return True

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.observe(method, route, status, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                },
            )


HEADERS_TOO_LARGE = Problem(
    "The request headers are larger than 64 KiB.",
    status=431,
    code="request_headers_too_large",
)


async def _send_413(send: Send, rid: str) -> None:
    await _send_problem(send, rid, PayloadTooLarge("The request body is larger than 10 MiB."))


async def _send_problem(send: Send, rid: str, problem: Problem) -> None:
    body = problem_bytes(problem)
    headers = [
        (b"content-type", PROBLEM),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", rid.encode()),
        *(
            (name.lower().encode(), value.encode("latin-1"))
            for name, value in problem.headers.items()
        ),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
