"""Check-in at the door: entry screening outcomes, the arrival window, the kept attempts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.appointments.conftest import local

GOOD = {"temperature_c": 36.6, "mask": True, "health_code": "green", "risk_area_travel_14d": False}


def _booked(desk, hh=9, mm=0, patient=None):
    r = desk.book(local(desk.today, hh, mm), patient=patient)
    assert r.status_code == 201, r.text
    return r.json()


def _check_in(desk, appointment_id, role="nurse", **readings):
    return desk.client.post(
        f"/appointments/{appointment_id}/check-in",
        json={**GOOD, **readings},
        headers=desk.headers(role),
    )


@pytest.mark.parametrize(
    ("readings", "outcome", "reasons", "status"),
    [
        ({}, "admitted", [], "checked_in"),
        ({"temperature_c": 37.2}, "admitted", [], "checked_in"),
        ({"temperature_c": 37.3}, "redirected_fever_clinic", ["fever"], "redirected_fever_clinic"),
        ({"health_code": "yellow"}, "redirected_fever_clinic", ["health_code_yellow"], None),
        ({"health_code": "red"}, "redirected_fever_clinic", ["health_code_red"], None),
        ({"risk_area_travel_14d": True}, "redirected_fever_clinic", ["risk_area_travel"], None),
        ({"mask": False}, "refused", ["no_mask"], "booked"),
        (
            {"mask": False, "temperature_c": 38.5, "health_code": "red"},
            "redirected_fever_clinic",
            ["fever", "health_code_red", "no_mask"],
            "redirected_fever_clinic",
        ),
    ],
)
def test_entry_screening_outcomes(desk, readings, outcome, reasons, status):
    appointment = _booked(desk)
    desk.clock.now = local(desk.today, 8, 50)
    r = _check_in(desk, appointment["id"], **readings)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == outcome
    assert [x["code"] for x in body["reasons"]] == reasons
    assert body["appointment"]["status"] == (status or "redirected_fever_clinic")


def test_the_fever_threshold_is_configuration(make_desk):
    desk = make_desk(wardgate_fever_threshold_c=38.0)
    appointment = _booked(desk)
    desk.clock.now = local(desk.today, 9)
    assert _check_in(desk, appointment["id"], temperature_c=37.9).json()["outcome"] == "admitted"


def test_refused_without_a_mask_may_check_in_again_and_every_attempt_is_kept(desk):
    appointment = _booked(desk, patient="M-1")
    desk.clock.now = local(desk.today, 8, 46)
    assert _check_in(desk, appointment["id"], mask=False).json()["outcome"] == "refused"
    desk.clock.now = local(desk.today, 8, 48)
    assert _check_in(desk, appointment["id"]).json()["outcome"] == "admitted"
    again = _check_in(desk, appointment["id"])
    assert again.status_code == 409 and again.json()["code"] == "already_checked_in"
    listed = desk.client.get(
        "/check-ins", params={"patient_external_id": "M-1"}, headers=desk.headers("auditor")
    ).json()["items"]
    assert [(c["outcome"], c["temperature_c"], c["mask"]) for c in listed] == [
        ("refused", 36.6, False),
        ("admitted", 36.6, True),
    ]
    assert listed[0]["at"].endswith("T08:46:00+08:00")
    assert listed[0]["reasons"][0]["code"] == "no_mask"
    assert listed[0]["patient_name"] == "Li Wei" and listed[0]["department"] == "RESP"


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (-timedelta(minutes=15, microseconds=1), False),
        (-timedelta(minutes=15), True),
        (timedelta(0), True),
        (timedelta(minutes=15) - timedelta(microseconds=1), True),
        (timedelta(minutes=15), False),
        (timedelta(hours=3), False),
        (-timedelta(days=1), False),
    ],
)
def test_arrival_window_edges(desk, offset, allowed):
    appointment = _booked(desk, 10, 0)
    desk.clock.now = local(desk.today, 10) + offset
    r = _check_in(desk, appointment["id"])
    if allowed:
        assert r.status_code == 200 and r.json()["outcome"] == "admitted"
        return
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "outside_arrival_window"
    assert body["window_opens"].endswith("T09:45:00+08:00")
    assert body["window_closes"].endswith("T10:15:00+08:00")
    audit = desk.client.get(
        "/audit", params={"action": "appointment.check_in"}, headers=desk.headers("auditor")
    ).json()["items"]
    assert audit[-1]["outcome"] == "outside_arrival_window"


def test_only_booked_appointments_check_in(desk):
    appointment = _booked(desk)
    desk.client.post(f"/appointments/{appointment['id']}/cancel", headers=desk.headers("nurse"))
    desk.clock.now = local(desk.today, 9)
    r = _check_in(desk, appointment["id"])
    assert r.status_code == 409 and r.json()["code"] == "appointment_not_active"
    redirected = _booked(desk, 9, 0)
    assert _check_in(desk, redirected["id"], temperature_c=39.0).status_code == 200
    again = _check_in(desk, redirected["id"])
    assert again.status_code == 409 and again.json()["code"] == "appointment_not_active"
    missing = _check_in(desk, "f" * 32)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "readings",
    [
        {"temperature_c": "hot"},
        {"temperature_c": 120},
        {"temperature_c": float("nan")},
        {"mask": "yes"},
        {"health_code": "purple"},
        {"outcome": "admitted"},
    ],
)
def test_invalid_readings_are_422(desk, readings):
    appointment = _booked(desk)
    desk.clock.now = local(desk.today, 9)
    body = {**GOOD, **readings}
    content = json.dumps(body, allow_nan=True)
    r = desk.client.post(
        f"/appointments/{appointment['id']}/check-in",
        content=content,
        headers={**desk.headers("nurse"), "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text


def test_check_in_list_filters_window_and_pages(desk):
    for hh, patient in [(9, "A"), (10, "B"), (11, "C")]:
        appointment = _booked(desk, hh, 0, patient=patient)
        desk.clock.now = local(desk.today, hh, 1)
        assert _check_in(desk, appointment["id"]).status_code == 200
    desk.put_department("CARD", name="Cardiology")
    other = desk.book(local(desk.today, 11), department="CARD", patient="D").json()
    _check_in(desk, other["id"], mask=False)
    get = desk.client.get
    auditor = desk.headers("auditor")
    resp = get("/check-ins", params={"department": "RESP"}, headers=auditor).json()
    assert [c["patient_external_id"] for c in resp["items"]] == ["A", "B", "C"]
    window = get(
        "/check-ins",
        params={
            "department": "RESP",
            "from": local(desk.today, 10, 1).isoformat(),  # inclusive
            "to": local(desk.today, 11, 1).isoformat(),  # exclusive
        },
        headers=auditor,
    ).json()
    assert [c["patient_external_id"] for c in window["items"]] == ["B"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get("/check-ins", params=params, headers=auditor).json()
        seen += [c["patient_external_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A", "B", "C", "D"]
    for bad in ["garbage!", "eyJ4IjoxfQ", "W10"]:
        r = get("/check-ins", params={"cursor": bad}, headers=auditor)
        assert r.status_code == 422, r.text
    naive = get("/check-ins", params={"from": "2030-01-01T00:00:00"}, headers=auditor)
    assert naive.status_code == 422
