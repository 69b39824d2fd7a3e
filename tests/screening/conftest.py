"""Fixtures for the screening service tests: a started client and helpers to fill it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(**delta: float) -> str:
    """An ISO timestamp `delta` before the test run started."""
    return (NOW - timedelta(**delta)).isoformat()


def result(
    ext: str,
    person: str = "P1",
    test_type: str = "nucleic_acid",
    value: str | None = "negative",
    status: str = "final",
    hours_ago: float = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A result body."""
    body = {
        "external_id": ext,
        "person_external_id": person,
        "test_type": test_type,
        "result": value,
        "status": status,
        "specimen_collected_at": ago(hours=hours_ago),
    }
    body.update(extra)
    return body


class Screening:
    """A started screening client with the helpers tests keep needing."""

    def __init__(self, client: Any, idp: Any) -> None:
        self.client = client
        self.idp = idp
        self.nurse = idp.headers("nurse")

    def person(self, ext: str, category: str = "inpatient", **fields: Any) -> dict[str, Any]:
        body = {"name": f"Patient {ext}", "category": category, "department": "resp"}
        body.update(fields)
        r = self.client.put(f"/persons/{ext}", json=body, headers=self.nurse)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    def post(self, body: dict[str, Any], expect: int | None = 201) -> dict[str, Any]:
        r = self.client.post("/results", json=body, headers=self.nurse)
        if expect is not None:
            assert r.status_code == expect, r.text
        return dict(r.json())

    def status(self, ext: str) -> dict[str, Any]:
        r = self.client.get(f"/persons/{ext}/screening-status", headers=self.nurse)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def states(self, ext: str) -> dict[str, str]:
        return {i["test_type"]: i["state"] for i in self.status(ext)["items"]}


@pytest.fixture
def screening(make_client: Any, idp: Any) -> Screening:
    """A screening service on a clean database, with the default policy."""
    return Screening(make_client("screening"), idp)
