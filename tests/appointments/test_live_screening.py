"""Virtual visits against the real screening service, over HTTP with the token relayed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")


def test_virtual_visits_ask_the_screening_service_for_the_ward(live, idp):
    screening = live("screening")
    appointments = live("appointments", SCREENING_URL=screening.url, SCREENING_TIMEOUT_S="2")
    nurse = idp.headers("nurse")
    people = {
        "E2E-IN": {
            "name": "Wang Fang",
            "category": "inpatient",
            "department": "RESP",
            "ward": "W5",
            "admitted_at": "2030-01-01T08:00:00+08:00",
        },
        "E2E-OUT": {"name": "Qian Yu", "category": "outpatient", "department": "RESP"},
    }
    for external_id, person in people.items():
        r = httpx.put(f"{screening.url}/persons/{external_id}", json=person, headers=nurse)
        assert r.status_code == 201, r.text
    start = datetime.combine(datetime.now(TZ).date() + timedelta(days=1), time(15), tzinfo=TZ)

    def visit(patient: str) -> httpx.Response:
        body = {
            "patient_external_id": patient,
            "visitor_name": "Wang Min",
            "visitor_phone": "+86 139 1234 5678",
            "start": start.isoformat(),
        }
        return httpx.post(f"{appointments.url}/virtual-visits", json=body, headers=nurse)

    booked = visit("E2E-IN")
    assert booked.status_code == 201, booked.text
    assert booked.json()["ward"] == "W5"
    assert booked.json()["join_url"].startswith("https://meet.jit.si/wardgate-")
    assert visit("E2E-OUT").json()["code"] == "not_inpatient"
    assert visit("E2E-NOBODY").json()["code"] == "unknown_patient"
    screening.stop()
    down = visit("E2E-IN")
    assert down.status_code == 503 and down.json()["code"] == "screening_unavailable"
