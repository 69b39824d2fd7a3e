"""Outbound calls to another WardGate service: one pooled client, explicit timeouts,
the caller's token relayed (or a configured service token) and the request id carried."""

from __future__ import annotations

import httpx

from shared.auth.tokens import Principal
from shared.web.context import REQUEST_ID_HEADER, request_id_var


def build_http_client(base_url: str, timeout_s: float, *, retries: int = 1) -> httpx.Client:
    """A pooled client; `retries` re-tries connection errors only (never a sent request)."""
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 1.0)),
        transport=httpx.HTTPTransport(retries=retries),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        headers={"Accept": "application/json", "User-Agent": "wardgate"},
    )


def relay_headers(principal: Principal, service_token: str | None = None) -> dict[str, str]:
    """Authorization for the downstream call (token relay) plus the request id."""
    token = service_token or principal.token
    headers = {"Authorization": f"Bearer {token}"}
    rid = request_id_var.get()
    if rid:
        headers[REQUEST_ID_HEADER] = rid
    return headers
