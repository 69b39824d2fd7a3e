"""Wiring one service's outbound client to another service running in the same test.

`shared.service_client.ServiceClient` is async; a `TestClient` (the other app, its lifespan
running in the TestClient's own thread) is called from a worker thread, so the calling app's
event loop keeps serving while it waits, as it would on a real socket.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
import httpx
from fastapi.testclient import TestClient

from shared.service_client import ServiceClient


class TestClientTransport(httpx.AsyncBaseTransport):
    """An async transport answering through another app's TestClient."""

    __test__ = False

    def __init__(self, client: TestClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        path = request.url.raw_path.decode("ascii")

        def send() -> httpx.Response:
            return self._client.request(
                request.method, path, headers=dict(request.headers), content=body
            )

        answer = await anyio.to_thread.run_sync(send)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def service_client(
    downstream: TestClient | Callable[[httpx.Request], httpx.Response],
    base_url: str = "http://downstream.test",
) -> ServiceClient:
    """A `ServiceClient` answered by another app's TestClient or by a handler function."""
    transport: httpx.AsyncBaseTransport = (
        TestClientTransport(downstream)
        if isinstance(downstream, TestClient)
        else httpx.MockTransport(downstream)
    )
    return ServiceClient(base_url, transport=transport)
