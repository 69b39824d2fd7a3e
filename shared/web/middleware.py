"""One pure ASGI middleware: request id, body size limit, metrics and the access log."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PayloadTooLarge
from shared.web.context import request_id_var
from shared.web.problems import problem_bytes

MAX_BODY_BYTES = 10 * 1024 * 1024
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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = _valid_request_id(headers.get("x-request-id"))
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                await _send_413(send_wrapper)
            else:
                await self.app(scope, _limited(receive), send_wrapper)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        m = self.metrics
        m.requests.labels(m.service, method, route, str(status)).inc()
        m.latency.labels(m.service, method, route).observe(elapsed)
        log.info(
            "request",
            extra={
                "method": method,
                "route": route,
                "status": status,
                "ms": round(elapsed * 1000, 2),
            },
        )


def _limited(receive: Receive) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise PayloadTooLarge("The request body is larger than 10 MiB.")
        return message

    return wrapped


async def _send_413(send: Any) -> None:
    body = problem_bytes(PayloadTooLarge("The request body is larger than 10 MiB."))
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
