"""Exposure tracing fixtures: the screening service asking a real appointments service.

In-process, the screening app's appointments client is pointed at an in-process appointments
app (a TestClient is an httpx.Client), whose clock the test sets: check-ins happen at chosen
moments without sleeping. The live tests (test_live_exposures.py) run both as processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.screening.clients.appointments import AppointmentsClient
from tests.support.transports import service_client

GOOD = {"temperature_c": 36.6, "mask": True, "health_code": "green", "risk_area_travel_14d": False}
# Open around the clock (UTC) so any chosen moment has a slot.
DEPARTMENT = {
    "name": "Fever clinic",
    "slot_minutes": 15,
    "capacity_per_slot": 20,
    "opens": "00:00",
    "closes": "23:45",
    "booking_days_ahead": 30,
}
_appointment_day = count(1)


@dataclass
class Clock:
    """The appointments service's clock, set by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Hospital:
    """Screening and appointments in process, the appointments clock, tokens per role."""

    screening: TestClient
    appointments: TestClient
    clock: Clock
    headers: Callable[..., dict[str, str]]

    def person(self, external_id: str, category: str = "outpatient", **fields: Any) -> None:
        body = {"name": f"Person {external_id}", "category": category, "department": "RESP"}
        body.update(fields)
        r = self.screening.put(f"/persons/{external_id}", json=body, headers=self.headers("nurse"))
        assert r.status_code in (200, 201), r.text

    def visit(
        self, patient: str, at: datetime, department: str = "RESP", **readings: Any
    ) -> dict[str, Any]:
        """Book the slot holding `at` and check the patient in at exactly `at`."""
        slot = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
        self.clock.now = slot - timedelta(hours=1)
        booked = self.appointments.post(
            "/appointments",
            json={
                "department": department,
                "patient_external_id": patient,
                "patient_name": f"Visitor {patient}",
                "slot_start": slot.isoformat(),
            },
            headers=self.headers("nurse"),
        )
        assert booked.status_code == 201, booked.text
        self.clock.now = at
        r = self.appointments.post(
            f"/appointments/{booked.json()['id']}/check-in",
            json={**GOOD, **readings},
            headers=self.headers("nurse"),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def exposures(self, external_id: str, role: str = "infection_control", **params: Any) -> Any:
        return self.screening.get(
            f"/persons/{external_id}/exposures", params=params, headers=self.headers(role)
        )

    def listed(self, external_id: str, **params: Any) -> dict[str, dict[str, Any]]:
        r = self.exposures(external_id, **params)
        assert r.status_code == 200, r.text
        return {i["external_id"]: i for i in r.json()["items"]}


@pytest.fixture
def hospital(make_client: Callable[..., TestClient], idp: Any) -> Hospital:
    """Both services on clean databases; RESP and ICU open around the clock (UTC)."""
    appointments = make_client("appointments", wardgate_timezone="UTC")
    clock = Clock(datetime.now(UTC))
    appointments.app.state.clock = clock  # type: ignore[attr-defined]
    for code in ("RESP", "ICU"):
        r = appointments.put(f"/departments/{code}", json=DEPARTMENT, headers=idp.headers("admin"))
        assert r.status_code in (200, 201), r.text
    screening = make_client("screening")
    screening.app.state.appointments = AppointmentsClient(service_client(appointments))  # type: ignore[attr-defined]
    return Hospital(screening, appointments, clock, idp.headers)


class Receiver:
    """A real webhook receiver that records every alert it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[Any, bytes]] = []  # (headers, body)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((self.headers, body))  # case-insensitive names
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Any:
    """A started webhook receiver (stopped after the test)."""
    r = Receiver()
    yield r
    r.stop()
