"""Outbound calls to another WardGate service: one pooled client, explicit timeouts,
the caller's token relayed (or a configured service token) and the request id carried.

A call has a deadline for the whole answer, not only a timeout for each read: a service
that trickles its answer a byte at a time beats every read timeout and could hold a request
(and the nurse waiting on it) for ever. `get_answer` reads the whole answer or raises
`DeadlineExceeded` (an `httpx.TimeoutException`, so callers' "timed out" handling covers
it); on clients from `build_http_client` the deadline bounds every socket read and write,
the status line and headers included, not only the body.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from shared.auth.tokens import Principal
from shared.web.context import REQUEST_ID_HEADER, request_id_var

# The deadline (time.monotonic()) of the call in progress on this thread, if any.
_deadline_at: ContextVar[float | None] = ContextVar("wardgate_call_deadline", default=None)


class DeadlineExceeded(httpx.TimeoutException):
    """The whole answer did not arrive before the call's deadline."""


@dataclass(frozen=True)
class Deadline:
    """The moment by which a whole call (every request and page of it) must be answered."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(self.at - time.monotonic(), 0.0)


@dataclass(frozen=True)
class Answer:
    """One answer of another service, its body read in full within the deadline."""

    status_code: int
    headers: httpx.Headers
    content: bytes


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """A socket operation's timeout, cut to what is left of the call's deadline."""
    at = _deadline_at.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the deadline of the call passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:  # fmt: skip
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    """Sockets whose every read and write ends by the deadline of the call in progress."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:  # fmt: skip
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            super().connect_tcp(host, port, bounded, local_address, socket_options)
        )


def build_http_client(base_url: str, timeout_s: float, *, retries: int = 1) -> httpx.Client:
    """A pooled client; `retries` re-tries connection errors only (never a sent request)."""
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    transport = httpx.HTTPTransport(retries=retries, limits=limits)
    # httpx takes no network backend; its pool does (the same pool, with deadline sockets).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        retries=retries,
        network_backend=_DeadlineBackend(),
    )
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 1.0)),
        transport=transport,
        headers={"Accept": "application/json", "User-Agent": "wardgate"},
    )


@contextlib.contextmanager
def _within(deadline: Deadline) -> Iterator[None]:
    token = _deadline_at.set(deadline.at)
    try:
        yield
    finally:
        _deadline_at.reset(token)


def _read(response: httpx.Response, deadline: Deadline) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if deadline.remaining() <= 0:  # also where the transport is not our sockets
            raise DeadlineExceeded("the answer did not arrive in time")
    return bytes(body)


def answer_within(
    http: httpx.Client,
    method: str,
    url: str,
    deadline: Deadline,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | int] | None = None,
    content: bytes | None = None,
) -> Answer:
    """Send one request and read the whole answer before `deadline`; httpx.HTTPError else."""
    remaining = deadline.remaining()
    if remaining <= 0:
        raise DeadlineExceeded("the deadline passed before the call")
    with (
        _within(deadline),
        http.stream(
            method,
            url,
            headers=dict(headers or {}),
            params=dict(params) if params is not None else None,
            content=content,
            timeout=httpx.Timeout(remaining, connect=min(remaining, 1.0)),
        ) as response,
    ):
        return Answer(response.status_code, response.headers, _read(response, deadline))


def get_answer(
    http: httpx.Client,
    path: str,
    deadline: Deadline,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | int] | None = None,
) -> Answer:
    """GET `path` and read the whole answer before `deadline`; httpx.HTTPError otherwise."""
    return answer_within(http, "GET", path, deadline, headers=headers, params=params)


def relay_headers(principal: Principal, service_token: str | None = None) -> dict[str, str]:
    """Authorization for the downstream call (token relay) plus the request id."""
    token = service_token or principal.token
    headers = {"Authorization": f"Bearer {token}"}
    rid = request_id_var.get()
    if rid:
        headers[REQUEST_ID_HEADER] = rid
    return headers
