"""Helpers for the appointments tests: a configured department and a movable clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

TZ = ZoneInfo("Asia/Shanghai")
DEPARTMENT = {
    "name": "Respiratory outpatients",
    "slot_minutes": 15,
    "capacity_per_slot": 3,
    "opens": "08:00",
    "closes": "12:00",
    "booking_days_ahead": 7,
}
_patients = count(1)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """An instant at hh:mm hospital local time on `day`."""
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


@dataclass
class Clock:
    """The service's clock, set by the test (never slept on)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    """An appointments client with a clock, a department and headers per role."""

    client: TestClient
    clock: Clock
    headers: Callable[..., dict[str, str]]
    today: date

    def put_department(self, code: str = "RESP", **over: Any) -> Any:
        return self.client.put(
            f"/departments/{code}", json={**DEPARTMENT, **over}, headers=self.headers("admin")
        )

    def book(
        self,
        slot_start: datetime,
        *,
        department: str = "RESP",
        patient: str | None = None,
        role: str = "nurse",
        key: str | None = None,
        **over: Any,
    ) -> Any:
        body = {
            "department": department,
            "patient_external_id": patient or f"P{next(_patients):05d}",
            "patient_name": "Li Wei",
            "slot_start": slot_start.isoformat(),
            **over,
        }
        headers = self.headers(role)
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post("/appointments", json=body, headers=headers)

    def slot(self, day: date, start: datetime, department: str = "RESP") -> dict[str, Any]:
        r = self.client.get(
            f"/departments/{department}/slots",
            params={"date": day.isoformat()},
            headers=self.headers("nurse"),
        )
        assert r.status_code == 200, r.text
        return next(s for s in r.json()["items"] if datetime.fromisoformat(s["start"]) == start)


@pytest.fixture
def make_desk(make_client: Callable[..., TestClient], idp: Any) -> Callable[..., Desk]:
    """`make_desk(**settings)`: a service standing at 07:00 local today, RESP configured."""

    def make(**settings: Any) -> Desk:
        client = make_client("appointments", wardgate_timezone="Asia/Shanghai", **settings)
        today = datetime.now(TZ).date()
        clock = Clock(local(today, 7))
        client.app.state.clock = clock  # type: ignore[attr-defined]
        d = Desk(client, clock, idp.headers, today)
        assert d.put_department().status_code == 201
        return d

    return make


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    """The appointments service with default settings."""
    return make_desk()
