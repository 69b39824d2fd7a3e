"""One pure ASGI middleware: request id, the 10 MiB body limit, metrics and the access log.

It sits on every request's hot path, so it reads only the two headers it needs, reuses
metric children and builds no log record when access logging is off."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PayloadTooLarge, Problem
from shared.web.context import request_id_var
from shared.web.problems import problem_bytes

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


def _valid_request_id(value: str | None) -> str:
    if value and len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return uuid.uuid4().hex


class RequestMiddleware:
    """Tags the request, refuses oversized bodies and records metrics and one log line."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given_rid = length = None
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"x-request-id":
                given_rid = value.decode("latin-1")
            elif name == b"content-length":
                length = value.decode("latin-1")
        rid = _valid_request_id(given_rid)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status, seen = 500, 0
        too_large = answered = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, answered
            if too_large:
                # The body overflowed while the app parsed it: whatever the parser made of
                # that, the answer is one 413 problem and the app's own messages are dropped.
                if not answered:
                    answered = True
                    status = 413
                    await _send_413(send, rid)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        async def limited_receive() -> Message:
            nonlocal too_large, seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    too_large = True
                    raise PayloadTooLarge("The request body is larger than 10 MiB.")
            return message

        try:
            if header_bytes > MAX_HEADER_BYTES:
                status = 431
                await _send_problem(send, rid, HEADERS_TOO_LARGE)
            elif length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                # Answered here so the refusal is problem+json like every other error.
                status = 413
                await _send_413(send, rid)
            else:
                await self.app(scope, limited_receive, send_wrapper)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

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
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
