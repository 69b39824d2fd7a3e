"""A virtual visit for a patient whose discharge reached screening answers 422 not_inpatient."""

from __future__ import annotations

import httpx

from services.appointments.clients.screening import ScreeningClient
from tests.appointments.conftest import local
from tests.support.transports import service_client

PERSON = {
    "external_id": "IN-9",
    "name": "Wang Fang",
    "category": "inpatient",
    "department": "RESP",
    "ward": "W3",
    "admission": {
        "admitted_at": "2026-11-01T08:00:00+08:00",
        "discharged_at": "2026-12-01T10:00:00+08:00",
        "disposition": "home",
    },
}


def _visit(desk, person):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=person)

    desk.client.app.state.screening = ScreeningClient(service_client(handler))
    body = {
        "patient_external_id": "IN-9",
        "visitor_name": "Wang Min",
        "visitor_phone": "+86 139 1234 5678",
        "start": local(desk.today, 15, 0).isoformat(),
    }
    return desk.client.post("/virtual-visits", json=body, headers=desk.headers("nurse"))


def test_a_discharged_patient_gets_no_virtual_visit(desk):
    r = _visit(desk, PERSON)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "not_inpatient"
    assert "discharged" in r.json()["detail"]


def test_an_admission_still_open_is_booked(desk):
    open_ = {**PERSON, "admission": {**PERSON["admission"], "discharged_at": None}}
    assert _visit(desk, open_).status_code == 201


def test_a_malformed_admission_fails_closed(desk):
    r = _visit(desk, {**PERSON, "admission": "yesterday"})
    assert r.status_code == 503 and r.json()["code"] == "screening_unavailable"
