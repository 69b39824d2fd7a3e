"""Fixtures of the reliability proof: services wired in-process for fuzzing, and the figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth.roles import ALL_ROLES
from tests.reliability import figures
from tests.support.keys import TestIdp
from tests.support.transports import service_client

FIGURES_FILE = Path("test-output/reliability.json")


@pytest.fixture
def every_role(idp: TestIdp) -> str:
    """A token that may do everything (the fuzzers' caller)."""
    return idp.token(*sorted(ALL_ROLES), sub="fuzzer", ttl_s=3600)


@pytest.fixture
def wired(make_client: Callable[..., TestClient], idp: Any) -> Callable[[str], TestClient]:
    """`wired(service)`: a started in-process service whose downstream service runs
    in-process too (so the gate, visits and exposures are exercised, not just their 503).
    Services hold a service credential (public requests call out with it) and the fuzzer,
    one client address, is not held by the public rate limit."""
    own = {
        "wardgate_service_token": idp.token("integration", sub="svc-fuzz", ttl_s=3600),
        "wardgate_public_rate_per_min": 1_000_000,
    }

    def make(service: str) -> TestClient:
        client = make_client(service, **own)
        if service == "discharge":
            from services.discharge.clients.screening import ScreeningClient as DischargeSide

            screening = make_client("screening")
            client.app.state.screening = DischargeSide(service_client(screening), timeout_s=10)  # type: ignore[attr-defined]
        elif service == "appointments":
            from services.appointments.clients.screening import ScreeningClient as DeskSide

            screening = make_client("screening")
            client.app.state.screening = DeskSide(service_client(screening))  # type: ignore[attr-defined]
        elif service == "screening":
            from services.screening.clients.appointments import AppointmentsClient

            desk = make_client("appointments")
            client.app.state.appointments = AppointmentsClient(service_client(desk))  # type: ignore[attr-defined]
        return client

    return make


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the reliability figures (examples, races, crashes, results lost) after a run."""
    if not figures.TALLY:
        return
    terminalreporter.write_sep("-", "reliability figures")
    for line in figures.summary_lines():
        terminalreporter.write_line(line)
    figures.write(FIGURES_FILE)
