"""`GET /entrance/summary`: the door's day by outcome, source, fever, hour and department."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.auth.health_codes import dev_signing_key, issue_health_code
from tests.appointments.conftest import local

GOOD = {"temperature_c": 36.6, "mask": True, "health_code": "green", "risk_area_travel_14d": False}


def _book(desk, day, hh, mm=0, department="RESP", patient=None):
    r = desk.book(local(day, hh, mm), department=department, patient=patient)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _check_in(desk, appointment_id, at, **readings):
    desk.clock.now = at
    r = desk.client.post(
        f"/appointments/{appointment_id}/check-in",
        json={**GOOD, **readings},
        headers=desk.headers("nurse"),
    )
    assert r.status_code == 200, r.text
    return r.json()["outcome"]


def _summary(desk, role="nurse", **params):
    return desk.client.get("/entrance/summary", params=params, headers=desk.headers(role))


def _door_day(desk):
    """A morning at the door in two departments, and one check-in tomorrow."""
    today, tomorrow = desk.today, desk.today + timedelta(days=1)
    assert desk.put_department("SURG", name="Surgery outpatients").status_code == 201
    key = dev_signing_key(Path(desk.client.app.state.settings.wardgate_data_dir))
    a1, a2 = _book(desk, today, 9), _book(desk, today, 9)
    a3, a4 = _book(desk, today, 10), _book(desk, today, 10, 15)
    _book(desk, today, 11)  # not come yet
    surg = _book(desk, today, 9, department="SURG")
    cancelled = _book(desk, today, 10, department="SURG")
    desk.client.post(f"/appointments/{cancelled}/cancel", headers=desk.headers("nurse"))
    later = _book(desk, tomorrow, 9)
    green = issue_health_code(key, colour="green", name_masked="L* W**")
    assert _check_in(desk, a1, local(today, 8, 50)) == "admitted"
    assert _check_in(desk, a2, local(today, 8, 52), mask=False) == "refused"
    assert _check_in(desk, a2, local(today, 8, 55), health_code_payload=green) == "admitted"
    assert _check_in(desk, a3, local(today, 9, 50), temperature_c=38.0) == (
        "redirected_fever_clinic"
    )
    expired = issue_health_code(key, colour="green", name_masked="L* W**", ttl_s=-5)
    assert _check_in(desk, a4, local(today, 10, 5), health_code_payload=expired) == "refused"
    assert _check_in(desk, surg, local(today, 9, 0), health_code="yellow") == (
        "redirected_fever_clinic"
    )
    assert _check_in(desk, later, local(tomorrow, 9)) == "admitted"
    desk.clock.now = local(today, 10, 30)


def test_the_days_counts(desk):
    _door_day(desk)
    r = _summary(desk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["date"] == desk.today.isoformat()
    assert body["by_outcome"] == {"admitted": 2, "redirected_fever_clinic": 2, "refused": 2}
    assert body["by_source"] == {"verified": 2, "manual": 4}
    assert body["fever"] == 1
    hours = {h["hour"]: h for h in body["by_hour"]}
    assert sorted(hours) == list(range(24))
    assert hours[8] == {"hour": 8, "admitted": 2, "redirected_fever_clinic": 0, "refused": 1}
    assert hours[9] == {"hour": 9, "admitted": 0, "redirected_fever_clinic": 2, "refused": 0}
    assert hours[10] == {"hour": 10, "admitted": 0, "redirected_fever_clinic": 0, "refused": 1}
    assert sum(h["admitted"] for h in body["by_hour"]) == 2
    assert body["by_department"] == [
        {"department": "RESP", "booked": 5, "arrived": 3, "not_yet": 2},
        {"department": "SURG", "booked": 1, "arrived": 1, "not_yet": 0},
    ]


def test_one_department_and_another_day(desk):
    _door_day(desk)
    surg = _summary(desk, department="SURG").json()
    assert surg["by_outcome"] == {"admitted": 0, "redirected_fever_clinic": 1, "refused": 0}
    assert surg["by_department"] == [
        {"department": "SURG", "booked": 1, "arrived": 1, "not_yet": 0}
    ]
    tomorrow = (desk.today + timedelta(days=1)).isoformat()
    later = _summary(desk, date=tomorrow).json()
    assert later["date"] == tomorrow
    assert later["by_outcome"] == {"admitted": 1, "redirected_fever_clinic": 0, "refused": 0}
    assert {"department": "RESP", "booked": 1, "arrived": 1, "not_yet": 0} in (
        later["by_department"]
    )


def test_a_quiet_day_is_all_zeros(desk):
    body = _summary(desk, date="2030-01-02").json()
    assert body["by_outcome"] == {"admitted": 0, "redirected_fever_clinic": 0, "refused": 0}
    assert body["fever"] == 0 and len(body["by_hour"]) == 24
    assert body["by_department"] == [
        {"department": "RESP", "booked": 0, "arrived": 0, "not_yet": 0}
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"department": "NOPE"}, 404),
        ({"date": "yesterday"}, 422),
        ({"date": "1900-01-01"}, 422),
        ({"department": "a\x00b"}, 422),
    ],
)
def test_bad_questions(desk, params, status):
    r = _summary(desk, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("nurse", 200),
        ("doctor", 200),
        ("infection_control", 200),
        ("auditor", 200),
        ("admin", 200),
        ("integration", 403),
    ],
)
def test_who_reads_the_summary(desk, role, status):
    assert _summary(desk, role=role).status_code == status
