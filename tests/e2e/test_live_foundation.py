"""The three services as real processes: healthy, trusting the JWKS, refusing forgeries."""

from __future__ import annotations

import httpx
import pytest

from tests.support.keys import make_idp

pytestmark = pytest.mark.e2e


def test_three_services_start_and_authenticate(live, idp, tmp_path):
    services = [live(name) for name in ("screening", "appointments", "discharge")]
    stranger = make_idp(tmp_path)
    for svc in services:
        assert httpx.get(f"{svc.url}/health").json() == {"status": "ok"}
        ok = httpx.get(f"{svc.url}/audit", headers=idp.headers("auditor"))
        assert ok.status_code == 200, ok.text
        forged = httpx.get(f"{svc.url}/audit", headers=stranger.headers("auditor"))
        assert forged.status_code == 401
        assert forged.headers["content-type"] == "application/problem+json"
        rid = httpx.get(f"{svc.url}/health", headers={"X-Request-ID": "abc-123"})
        assert rid.headers["x-request-id"] == "abc-123"
        metrics = httpx.get(f"{svc.url}/metrics")
        assert "wardgate_requests_total" in metrics.text


def test_health_is_503_when_the_database_is_unreachable(make_client):
    client = make_client("screening", database_url="postgresql+psycopg://nobody@127.0.0.1:1/x")
    r = client.get("/health")
    assert r.status_code == 503
