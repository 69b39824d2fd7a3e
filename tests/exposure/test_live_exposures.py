"""End to end: the real screening and appointments services as processes, over HTTP.

Check-ins are made through the appointments API at the real current time, then moved back in
time in the appointments database (a live process has no settable clock): the screening
service then reads them over HTTP exactly as it would read a day's history.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, update

from services.appointments.models import CheckIn
from tests.exposure.conftest import GOOD

pytestmark = pytest.mark.e2e
SECRET = "exposure-webhook-secret"


def noon_zone() -> ZoneInfo:
    """A fixed-offset zone where it is about noon now, so the clinic is open whenever the
    suite runs."""
    offset = 12 - datetime.now(UTC).hour  # -11 .. 12
    if offset == 0:
        return ZoneInfo("Etc/GMT")
    return ZoneInfo(f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}")


def wait_until(predicate, timeout_s=20.0):
    """Poll until `predicate()` is truthy (bounded, so a broken worker fails the test)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


class Clinic:
    """Both live services, seen from the test."""

    def __init__(self, screening, appointments, idp, zone):
        self.screening, self.appointments, self.idp, self.zone = (
            screening,
            appointments,
            idp,
            zone,
        )

    def put_person(self, external_id, category="outpatient", **fields):
        body = {"name": f"Person {external_id}", "category": category, "department": "RESP"}
        r = httpx.put(
            f"{self.screening.url}/persons/{external_id}",
            json={**body, **fields},
            headers=self.idp.headers("nurse"),
        )
        assert r.status_code == 201, r.text

    def check_in_now(self, patient):
        """Book the next slot (its arrival window is open now) and check in."""
        local = datetime.now(self.zone)
        start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        start += timedelta(minutes=15)
        nurse = self.idp.headers("nurse")
        booked = httpx.post(
            f"{self.appointments.url}/appointments",
            json={
                "department": "RESP",
                "patient_external_id": patient,
                "patient_name": f"Visitor {patient}",
                "slot_start": start.isoformat(),
            },
            headers=nurse,
        )
        assert booked.status_code == 201, booked.text
        r = httpx.post(
            f"{self.appointments.url}/appointments/{booked.json()['id']}/check-in",
            json=GOOD,
            headers=nurse,
        )
        assert r.status_code == 200, r.text

    def exposures(self, external_id):
        return httpx.get(
            f"{self.screening.url}/persons/{external_id}/exposures",
            headers=self.idp.headers("infection_control"),
            timeout=10,
        )

    def listed(self, external_id):
        r = self.exposures(external_id)
        assert r.status_code == 200, r.text
        return {i["external_id"]: i["why"] for i in r.json()["items"]}

    def positive(self, ext, person):
        body = {
            "external_id": ext,
            "person_external_id": person,
            "test_type": "nucleic_acid",
            "result": "positive",
            "status": "final",
            "specimen_collected_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        }
        r = httpx.post(
            f"{self.screening.url}/results", json=body, headers=self.idp.headers("integration")
        )
        assert r.status_code == 201, r.text


def move_check_ins(url, hours_ago):
    """Set each patient's check-in `hours_ago` hours back (in the appointments database)."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    table = CheckIn.__table__
    try:
        with engine.begin() as conn:
            for patient, hours in hours_ago.items():
                moved = conn.execute(
                    update(table)
                    .where(table.c.patient_external_id == patient)
                    .values(at=now - timedelta(hours=hours))
                )
                assert moved.rowcount == 1
    finally:
        engine.dispose()


@pytest.fixture
def clinic(live, idp, receiver):
    zone = noon_zone()
    appointments = live("appointments", WARDGATE_TIMEZONE=zone.key)
    screening = live(
        "screening",
        APPOINTMENTS_URL=appointments.url,
        APPOINTMENTS_TIMEOUT_S="2",
        WARDGATE_ALERT_WEBHOOKS=receiver.url,
        WARDGATE_ALERT_SECRET=SECRET,
        WARDGATE_ALERT_POLL_S="0.05",
        WARDGATE_ALERT_BACKOFF_S="0.2",
        WARDGATE_ALERT_BACKOFF_MAX_S="0.5",
        WARDGATE_SERVICE_TOKEN=idp.token("auditor", sub="service:screening", ttl_s=3600),
    )
    department = {"name": "Respiratory", "capacity_per_slot": 10, "opens": "06:00"}
    r = httpx.put(
        f"{appointments.url}/departments/RESP",
        json={**department, "closes": "18:00"},
        headers=idp.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return Clinic(screening, appointments, idp, zone)


def alerts_for(receiver, person):
    with receiver.lock:
        received = list(receiver.received)
    found = []
    for headers, body in received:
        doc = json.loads(body)
        if doc["person"]["external_id"] == person:
            found.append((headers, doc, body))
    return found


def test_exposure_lists_and_alerts_across_both_services(clinic, receiver, database_url):
    for p in ("OA", "OB", "OC"):
        clinic.put_person(p)
    admitted = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    clinic.put_person("IA", "inpatient", ward="W1", admitted_at=admitted)
    clinic.put_person("IB", "inpatient", ward="W1", admitted_at=admitted)
    clinic.put_person("S1", "staff", ward="W1")
    clinic.put_person("IC", "inpatient", ward="W2", admitted_at=admitted)
    clinic.put_person("G1", "caregiver", patient_external_id="IA")
    for patient in ("OA", "OB", "OC", "U1"):
        clinic.check_in_now(patient)
    # OB an hour after OA, OC three hours before, U1 (unknown to screening) half an hour after.
    move_check_ins(database_url("appointments"), {"OA": 5, "OB": 4, "OC": 8, "U1": 4.5})

    assert clinic.listed("OA") == {"OB": ["same_department_visit"], "U1": ["same_department_visit"]}
    assert "OA" in clinic.listed("OB")
    assert "OA" not in clinic.listed("OC") and "OB" not in clinic.listed("OC")
    statuses = {i["external_id"]: i["status"] for i in clinic.exposures("OA").json()["items"]}
    assert statuses == {"U1": "unregistered", "OB": "compliant"}
    assert clinic.listed("IA") == {"IB": ["same_ward"], "S1": ["same_ward"], "G1": ["caregiver"]}
    assert clinic.listed("G1") == {"IA": ["escorted_patient"]}

    # A positive result while both services run: the alert carries the complete list.
    clinic.positive("R-OA", "OA")
    _h, first, body = wait_until(lambda: alerts_for(receiver, "OA"))[0]
    assert first["exposures_complete"] is True
    assert {e["external_id"]: e["why"] for e in first["exposures"]} == {
        "OB": ["same_department_visit"],
        "U1": ["same_department_visit"],
    }
    assert b"Visitor" not in body and b"Person " not in body  # no names in alerts

    # The appointments service goes away: the list is refused, the alert goes out anyway.
    clinic.appointments.stop()
    down = clinic.exposures("OA")
    assert down.status_code == 503 and down.json()["code"] == "appointments_unavailable"
    clinic.positive("R-IA", "IA")
    headers, incomplete, _b = wait_until(lambda: alerts_for(receiver, "IA"))[0]
    assert incomplete["exposures_complete"] is False
    assert incomplete["exposures_incomplete_reason"].startswith("appointments_unavailable")
    assert {e["external_id"] for e in incomplete["exposures"]} == {"IB", "S1", "G1"}

    # Back again: a complete follow-up, under its own alert id, follows.
    clinic.appointments.env["SCREENING_URL"] = clinic.screening.url
    clinic.appointments.start()
    follow_headers, complete, _b = wait_until(lambda: alerts_for(receiver, "IA")[1:])[0]
    assert complete["exposures_complete"] is True
    assert complete["follow_up_of"] == incomplete["alert_id"]
    assert follow_headers["X-WardGate-Alert-Id"] == headers["X-WardGate-Alert-Id"] + "-exposures"
    assert {e["external_id"]: e["why"] for e in complete["exposures"]} == {
        "IB": ["same_ward"],
        "S1": ["same_ward"],
        "G1": ["caregiver"],
    }
    assert clinic.exposures("OA").status_code == 200
