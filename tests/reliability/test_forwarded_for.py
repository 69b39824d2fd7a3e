"""`wardgate serve` believes X-Forwarded-For only from WARDGATE_TRUSTED_PROXIES (default: none).

uvicorn's own default believes it from 127.0.0.1, so anyone on the box (or any local proxy
that passes the header through) could write the audit trail's client address.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from shared.settings import WardGateSettings
from tests.support.live import LiveService, live_service

pytestmark = pytest.mark.e2e
SPOOFED = "203.0.113.9"
PERSON = {"name": "Zhang San", "category": "outpatient", "department": "resp"}


@pytest.fixture
def served(
    database_url: Callable[[str], str], service_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., LiveService]]:
    """`served(**env)`: the screening service started by `wardgate serve` (stopped after)."""
    started: list[LiveService] = []

    def start(**env: str) -> LiveService:
        svc = live_service("screening", database_url("screening"), {**service_env, **env}, tmp_path)
        command = [
            sys.executable,
            "-m",
            "shared.cli",
            "serve",
            "screening",
            "--port",
            str(svc.port),
        ]
        # Unset means trust nobody; an empty value says the same whatever the caller's env has.
        svc.env.setdefault("WARDGATE_TRUSTED_PROXIES", "")
        started.append(svc)
        return svc.start(command=command)

    yield start
    for svc in started:
        svc.stop()


def _client_of_a_write(svc: LiveService, idp, pid: str) -> str:
    nurse = idp.headers("nurse")
    r = httpx.put(
        f"{svc.url}/persons/{pid}", json=PERSON, headers={**nurse, "X-Forwarded-For": SPOOFED}
    )
    assert r.status_code == 201, r.text
    trail = httpx.get(f"{svc.url}/audit", headers=idp.headers("auditor")).json()["items"]
    rows = [row for row in trail if pid in row["resource"]]
    assert len(rows) == 1, rows
    return str(rows[0]["client"])


def _client_of_a_denial(svc: LiveService, idp) -> str:
    r = httpx.get(f"{svc.url}/persons", headers={"X-Forwarded-For": SPOOFED})
    assert r.status_code == 401
    trail = httpx.get(
        f"{svc.url}/audit", params={"action": "auth.denied"}, headers=idp.headers("auditor")
    ).json()["items"]
    assert len(trail) == 1, trail
    return str(trail[0]["client"])


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(served, idp):
    svc = served()  # WARDGATE_TRUSTED_PROXIES unset: nobody is a proxy
    assert _client_of_a_write(svc, idp, "XFF-1") == "127.0.0.1"
    assert _client_of_a_denial(svc, idp) == "127.0.0.1"


def test_a_proxy_not_in_the_list_is_not_believed(served, idp):
    svc = served(WARDGATE_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1")
    assert _client_of_a_write(svc, idp, "XFF-2") == "127.0.0.1"


def test_a_trusted_proxy_names_the_client(served, idp):
    svc = served(WARDGATE_TRUSTED_PROXIES="192.0.2.1,127.0.0.0/8")
    assert _client_of_a_write(svc, idp, "XFF-3") == SPOOFED
    assert _client_of_a_denial(svc, idp) == SPOOFED


def test_the_serve_command_passes_the_proxy_flags_to_uvicorn():
    assert WardGateSettings().uvicorn_proxy_flags() == ["--no-proxy-headers"]
    flags = WardGateSettings(wardgate_trusted_proxies="10.1.2.3, 10.8.0.0/16").uvicorn_proxy_flags()
    assert flags == ["--proxy-headers", "--forwarded-allow-ips", "10.1.2.3/32,10.8.0.0/16"]
    with pytest.raises(ValueError, match="gateway"):
        WardGateSettings(wardgate_trusted_proxies="gateway")
