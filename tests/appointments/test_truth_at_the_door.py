"""Issue 16 at the API: an implausible temperature is refused, a decided check-in stands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.appointments.conftest import local

GOOD = {"temperature_c": 36.6, "mask": True, "health_code": "green", "risk_area_travel_14d": False}


def _booked_and_open(desk, patient: str) -> str:
    r = desk.book(local(desk.today, 9), patient=patient)
    assert r.status_code == 201, r.text
    desk.clock.now = local(desk.today, 8, 50)
    return str(r.json()["id"])


def _check_in(desk, appointment_id: str, **readings):
    return desk.client.post(
        f"/appointments/{appointment_id}/check-in",
        json={**GOOD, **readings},
        headers=desk.headers("nurse"),
    )


@pytest.mark.parametrize("temperature", [45.0, 42.1, 33.9, 30.0])
def test_an_implausible_temperature_is_422_naming_the_field_and_nothing_is_stored(
    desk, temperature
):
    appointment_id = _booked_and_open(desk, "T-1")
    r = _check_in(desk, appointment_id, temperature_c=temperature)
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    (error,) = body["errors"]
    assert error["loc"][-1] == "temperature_c" and error["type"] == "implausible_temperature"
    assert "re-measure" in error["msg"]
    listed = desk.client.get("/check-ins", headers=desk.headers("auditor")).json()["items"]
    assert listed == []
    appointment = desk.client.get(f"/appointments/{appointment_id}", headers=desk.headers("nurse"))
    assert appointment.json()["status"] == "booked"


@pytest.mark.parametrize(
    ("temperature", "outcome"), [(34.0, "admitted"), (42.0, "redirected_fever_clinic")]
)
def test_the_plausible_range_includes_its_edges(desk, temperature, outcome):
    appointment_id = _booked_and_open(desk, "T-2")
    r = _check_in(desk, appointment_id, temperature_c=temperature)
    assert r.status_code == 200 and r.json()["outcome"] == outcome


def test_a_second_check_in_after_the_fever_clinic_is_409(desk):
    appointment_id = _booked_and_open(desk, "T-3")
    assert _check_in(desk, appointment_id, temperature_c=38.0).json()["outcome"] == (
        "redirected_fever_clinic"
    )
    again = _check_in(desk, appointment_id)
    assert again.status_code == 409 and again.json()["code"] == "appointment_not_active"
    assert again.json()["appointment_status"] == "redirected_fever_clinic"


def test_slots_name_the_last_day_that_can_be_booked(desk):
    far = desk.today + timedelta(days=30)
    r = desk.client.get(
        "/departments/RESP/slots", params={"date": far.isoformat()}, headers=desk.headers("nurse")
    )
    assert r.status_code == 200
    assert r.json()["last_bookable_day"] == (desk.today + timedelta(days=7)).isoformat()
    refused = desk.book(local(far, 9))
    assert refused.status_code == 422 and refused.json()["code"] == "beyond_booking_horizon"
