"""Outbound calls to another WardGate service: the one client every service uses.

One pooled async client per downstream service, on aiohttp (in the lean discharge check raw
aiohttp answered 1,219 checks/s, httpx's API on aiohttp 1,012, httpx's own transport 478;
building the httpx request and response was a quarter of WardGate's check). A test hands in an
httpx transport (`transport=`: httpx.MockTransport, an app's TestClient) and the calls go
through httpx's API to it; errors are httpx's either way. Every call has a deadline for the
whole answer, status line, headers and body together: a service that trickles its answer a byte
at a time beats every read timeout, not the deadline. The caller's token is relayed (or a
configured service token) and the request id carried. Connection errors are retried within the
deadline; a request that may have been sent never is.

Async use cases `await client.call(...)`; code running in a worker thread (sync routes,
pages, background workers) uses `client.call_blocking(...)`, which runs the same call on the
service's event loop. Callers parse the answer themselves and fail closed on anything else.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio.from_thread
import httpx
from httpx_aiohttp.transport import map_aiohttp_exceptions

from shared.auth.tokens import Principal
from shared.web.context import REQUEST_ID_HEADER, request_id_var

CONNECT_TIMEOUT_S = 1.0
_HEADERS = {"Accept": "application/json", "User-Agent": "wardgate"}


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


class ServiceClient:
    """A pooled client of one downstream service (built in a lifespan, closed with it)."""

    def __init__(
        self,
        base_url: str,
        *,
        retries: int = 1,
        max_connections: int = 50,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url
        self._retries = retries
        self._max_connections = max_connections
        self._transport = transport  # another transport: tests (httpx.MockTransport...)
        self._http: httpx.AsyncClient | None = None  # with a test's transport
        self._session: aiohttp.ClientSession | None = None  # otherwise
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        """Make the pool on the running loop (aiohttp's sessions belong to one loop)."""
        self._loop = asyncio.get_running_loop()
        if self._transport is None:
            self._pool()

    def _pool(self) -> aiohttp.ClientSession:
        # Made on first use when no lifespan opened it.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                headers=_HEADERS,
                cookie_jar=aiohttp.DummyCookieJar(),  # services set no cookies on each other
            )
        return self._session

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self._base_url, transport=self._transport, headers=_HEADERS
            )
        return self._http

    async def close(self) -> None:
        """Close the pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def call(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """Send one request and read the whole answer before `deadline`; httpx.HTTPError else."""
        attempts = self._retries + 1
        while True:
            attempts -= 1
            remaining = deadline.remaining()
            if remaining <= 0:
                raise DeadlineExceeded("the deadline passed before the call")
            try:
                async with asyncio.timeout(remaining):
                    return await self._send(method, url, remaining, headers, params, content)
            except TimeoutError:
                raise DeadlineExceeded("the answer did not arrive in time") from None
            except httpx.ConnectError:
                if attempts <= 0:
                    raise

    async def _send(
        self,
        method: str,
        url: str,
        remaining: float,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str | int] | None,
        content: bytes | None,
    ) -> Answer:
        if self._transport is not None:
            response = await self._client().request(
                method,
                url,
                headers=dict(headers or {}),
                params=dict(params) if params is not None else None,
                content=content,
                timeout=httpx.Timeout(remaining, connect=min(remaining, CONNECT_TIMEOUT_S)),
            )
            return Answer(response.status_code, response.headers, response.content)
        target = url if "://" in url else self._base_url.rstrip("/") + url
        timeout = aiohttp.ClientTimeout(sock_connect=min(remaining, CONNECT_TIMEOUT_S))
        with map_aiohttp_exceptions():  # httpx's errors, as with a test's transport
            async with self._pool().request(
                method,
                target,
                headers=headers,
                params={k: str(v) for k, v in params.items()} if params is not None else None,
                data=content,
                timeout=timeout,
                allow_redirects=False,
            ) as answer:
                body = await answer.read()
                return Answer(answer.status, httpx.Headers(answer.raw_headers), body)

    async def get(
        self,
        path: str,
        deadline: Deadline,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Answer:
        """GET `path` and read the whole answer before `deadline`."""
        return await self.call("GET", path, deadline, headers=headers, params=params)

    def call_blocking(self, method: str, url: str, deadline: Deadline, **kw: Any) -> Answer:
        """`call` from a thread that is not the event loop's (sync routes, pages, workers)."""
        if self._loop is None:  # not opened by a lifespan (a client a test wired in)
            call = functools.partial(self.call, method, url, deadline, **kw)
            try:
                return anyio.from_thread.run(call)  # a worker thread of the app's loop
            except RuntimeError:  # any other thread: a loop and a client of its own
                once = ServiceClient(
                    self._base_url, retries=self._retries, transport=self._transport
                )
                return asyncio.run(once._call_and_close(method, url, deadline, **kw))
        work = self.call(method, url, deadline, **kw)
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    async def _call_and_close(self, method: str, url: str, deadline: Deadline, **kw: Any) -> Answer:
        try:
            return await self.call(method, url, deadline, **kw)
        finally:
            await self.close()

    def get_blocking(self, path: str, deadline: Deadline, **kw: Any) -> Answer:
        """`get` from a thread that is not the event loop's."""
        return self.call_blocking("GET", path, deadline, **kw)


async def send_once(method: str, url: str, deadline: Deadline, **kw: Any) -> Answer:
    """One call to a URL outside WardGate's services (a fresh client, closed after)."""
    return await ServiceClient("", retries=1, max_connections=1)._call_and_close(
        method, url, deadline, **kw
    )


def relay_headers(principal: Principal, service_token: str | None = None) -> dict[str, str]:
    """Authorization for the downstream call (token relay) plus the request id."""
    token = service_token or principal.token
    headers = {"Authorization": f"Bearer {token}"}
    rid = request_id_var.get()
    if rid:
        headers[REQUEST_ID_HEADER] = rid
    return headers
