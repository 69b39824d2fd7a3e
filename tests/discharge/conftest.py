"""Fixtures of the discharge tests: the real screening service wired in, and seeding helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.discharge.clients.screening import ScreeningClient
from tests.support.keys import TestIdp
from tests.support.transports import service_client

ADMITTED = "2026-11-01T08:00:00+08:00"
_serial = count(1)


def ago(hours: float = 0, days: float = 0, seconds: float = 0) -> str:
    """An ISO timestamp this long before now."""
    moment = datetime.now(UTC) - timedelta(hours=hours, days=days, seconds=seconds)
    return moment.isoformat()


@dataclass
class Ward:
    """Seeds persons and results through the screening service's public API."""

    screening: httpx.Client
    idp: TestIdp
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = self.idp.headers("integration", sub="his")

    def person(self, pid: str, category: str = "inpatient", **extra: Any) -> None:
        """Register (or replace) a person."""
        body: dict[str, Any] = {"name": "Zhang San", "category": category, "department": "resp"}
        body["ward"] = extra.pop("ward", "W3")
        if category == "inpatient":
            body["admitted_at"] = extra.pop("admitted_at", ADMITTED)
        body.update(extra)
        r = self.screening.put(f"/persons/{pid}", json=body, headers=self.headers)
        assert r.status_code in (200, 201), r.text

    def result(
        self,
        pid: str,
        test_type: str,
        result: str | None,
        collected: str,
        status: str = "final",
        external_id: str | None = None,
    ) -> str:
        """Post a result (or a new version of `external_id`); its external id."""
        external_id = external_id or f"{pid}-{test_type}-{next(_serial)}"
        body = {
            "external_id": external_id,
            "person_external_id": pid,
            "test_type": test_type,
            "result": result,
            "status": status,
            "specimen_collected_at": collected,
        }
        r = self.screening.post("/results", json=body, headers=self.headers)
        assert r.status_code in (200, 201), r.text
        return external_id

    def clean_patient(self, pid: str, **person: Any) -> dict[str, str]:
        """An inpatient with negative nucleic acid, IgM and IgG collected an hour ago."""
        self.person(pid, **person)
        return {
            t: self.result(pid, t, "negative", ago(hours=1))
            for t in ("nucleic_acid", "antibody_igm", "antibody_igg")
        }


@dataclass
class Gate:
    """The discharge service wired to a real screening service, and a way to seed it."""

    discharge: httpx.Client
    ward: Ward
    idp: TestIdp

    def as_(self, *roles: str, sub: str | None = None) -> dict[str, str]:
        """Headers for a caller with `roles`."""
        return self.idp.headers(*roles, sub=sub)


@pytest.fixture
def gate(make_client: Callable[..., TestClient], idp: TestIdp) -> Gate:
    """Discharge and screening in-process, the discharge app calling the real screening app."""
    screening = make_client("screening")
    discharge = make_client("discharge")
    discharge.app.state.screening = ScreeningClient(service_client(screening), timeout_s=10)  # type: ignore[attr-defined]
    return Gate(discharge, Ward(screening, idp), idp)


def with_screening_transport(
    client: TestClient, handler: Callable[[httpx.Request], httpx.Response], timeout_s: float = 2
) -> TestClient:
    """Point a discharge app at a fault-injecting screening transport."""
    client.app.state.screening = ScreeningClient(service_client(handler), timeout_s=timeout_s)  # type: ignore[attr-defined]
    return client
