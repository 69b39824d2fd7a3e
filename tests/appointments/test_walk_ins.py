"""Walk-ins: a visitor without a booking gets the current or next free slot and is screened."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.auth.health_codes import dev_signing_key, issue_health_code
from tests.appointments.conftest import local

VISITOR = {
    "department": "RESP",
    "patient_name": "Wang Fang",
    "temperature_c": 36.5,
    "mask": True,
    "health_code": "green",
    "risk_area_travel_14d": False,
}


def _walk_in(desk, role="nurse", **over):
    return desk.client.post(
        "/entrance/walk-ins", json={**VISITOR, **over}, headers=desk.headers(role)
    )


def _booked_in(desk, hh, mm, department="RESP"):
    return desk.slot(desk.today, local(desk.today, hh, mm), department)["booked"]


def test_a_walk_in_takes_the_current_slot_and_is_admitted(desk):
    desk.clock.now = local(desk.today, 9, 5)
    r = _walk_in(desk, phone="13812345678")
    assert r.status_code == 201, r.text
    body = r.json()
    appointment = body["appointment"]
    assert appointment["slot_start"].endswith("T09:00:00+08:00")
    assert appointment["status"] == "checked_in"
    assert appointment["patient_external_id"].startswith("WALKIN-")
    assert appointment["phone"] == "138****5678"
    assert len(appointment["booking_code"]) == 8
    assert body["check_in"]["outcome"] == "admitted"
    assert body["check_in"]["health_code_source"] == "manual"
    assert _booked_in(desk, 9, 0) == 1
    listed = desk.client.get(
        "/check-ins",
        params={"patient_external_id": appointment["patient_external_id"]},
        headers=desk.headers("auditor"),
    ).json()["items"]
    assert [(c["outcome"], c["appointment_id"]) for c in listed] == [
        ("admitted", appointment["id"])
    ]


def test_a_full_current_slot_gives_the_next_free_one(desk):
    for n in range(3):  # capacity 3
        assert desk.book(local(desk.today, 9), patient=f"FULL-{n}").status_code == 201
    desk.clock.now = local(desk.today, 9, 5)
    r = _walk_in(desk, patient_external_id="P-WALK")
    assert r.status_code == 201, r.text
    assert r.json()["appointment"]["slot_start"].endswith("T09:15:00+08:00")
    assert r.json()["appointment"]["patient_external_id"] == "P-WALK"
    assert (_booked_in(desk, 9, 0), _booked_in(desk, 9, 15)) == (3, 1)


def test_before_opening_the_first_slot_is_booked(desk):
    desk.clock.now = local(desk.today, 7, 30)
    r = _walk_in(desk)
    assert r.status_code == 201, r.text
    assert r.json()["appointment"]["slot_start"].endswith("T08:00:00+08:00")


def test_nothing_free_today_is_409_and_nothing_is_booked(desk):
    assert desk.put_department("TINY", capacity_per_slot=1, closes="08:30").status_code == 201
    desk.clock.now = local(desk.today, 8, 20)
    first = _walk_in(desk, department="TINY")
    assert first.status_code == 201, first.text
    assert first.json()["appointment"]["slot_start"].endswith("T08:15:00+08:00")
    second = _walk_in(desk, department="TINY")
    assert second.status_code == 409, second.text
    assert second.json()["code"] == "no_free_slot"
    assert _booked_in(desk, 8, 15, "TINY") == 1
    desk.clock.now = local(desk.today, 12, 0)  # RESP has closed for the day
    closed = _walk_in(desk)
    assert closed.status_code == 409 and closed.json()["code"] == "no_free_slot"


@pytest.mark.parametrize(
    ("readings", "outcome", "status"),
    [
        ({"temperature_c": 38.1}, "redirected_fever_clinic", "redirected_fever_clinic"),
        ({"health_code": "yellow"}, "redirected_fever_clinic", "redirected_fever_clinic"),
        ({"mask": False}, "refused", "booked"),
    ],
)
def test_walk_ins_are_screened_like_everyone(desk, readings, outcome, status):
    desk.clock.now = local(desk.today, 10, 1)
    r = _walk_in(desk, **readings)
    assert r.status_code == 201, r.text
    assert r.json()["check_in"]["outcome"] == outcome
    assert r.json()["appointment"]["status"] == status


def test_a_refused_walk_in_keeps_the_place_and_checks_in_again(desk):
    desk.clock.now = local(desk.today, 10, 1)
    r = _walk_in(desk, mask=False, patient_external_id="P-MASK")
    appointment = r.json()["appointment"]
    again = desk.client.post(
        f"/appointments/{appointment['id']}/check-in",
        json={k: v for k, v in VISITOR.items() if k not in {"department", "patient_name"}},
        headers=desk.headers("nurse"),
    )
    assert again.json()["outcome"] == "admitted"
    assert _booked_in(desk, 10, 0) == 1


def test_a_scanned_code_is_verified_for_walk_ins(desk):
    desk.clock.now = local(desk.today, 10, 1)
    key = dev_signing_key(Path(desk.client.app.state.settings.wardgate_data_dir))
    red = issue_health_code(key, colour="red", name_masked="W*** F***")
    r = _walk_in(desk, health_code=None, health_code_payload=red)
    assert r.json()["check_in"]["outcome"] == "redirected_fever_clinic"
    assert r.json()["check_in"]["health_code_source"] == "verified"
    someone_else = issue_health_code(key, colour="green", name_masked="Z*** S**")
    r = _walk_in(desk, health_code=None, health_code_payload=someone_else)
    assert r.json()["check_in"]["outcome"] == "refused"
    assert r.json()["check_in"]["reasons"][0]["code"] == "health_code_invalid"


def test_verifier_down_without_a_colour_books_nothing(make_desk):
    from tests.support.live import free_port

    desk = make_desk(wardgate_health_code_verifier=f"http://127.0.0.1:{free_port()}/v")
    desk.clock.now = local(desk.today, 10, 1)
    r = _walk_in(desk, health_code=None, health_code_payload="QR")
    assert r.status_code == 503 and r.json()["code"] == "health_code_unavailable"
    assert _booked_in(desk, 10, 0) == 0
    typed = _walk_in(desk, health_code_payload="QR")
    assert typed.status_code == 201
    assert typed.json()["check_in"]["health_code_source"] == "manual"


def test_a_patient_already_booked_today_is_sent_to_that_booking(desk):
    assert desk.book(local(desk.today, 11), patient="P-HAS").status_code == 201
    desk.clock.now = local(desk.today, 9, 5)
    r = _walk_in(desk, patient_external_id="P-HAS")
    assert r.status_code == 409 and r.json()["code"] == "duplicate_booking"


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"department": "NOPE"}, 422, "unknown_department"),
        ({"id": "x"}, 422, None),
        ({"patient_name": ""}, 422, None),
        ({"temperature_c": 45.0}, 422, None),
        ({"health_code": None}, 422, None),
    ],
)
def test_bad_walk_ins_are_422(desk, over, status, code):
    desk.clock.now = local(desk.today, 9, 5)
    r = _walk_in(desk, **over)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code


@pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("integration", 403)])
def test_only_ward_staff_book_walk_ins(desk, role, status):
    desk.clock.now = local(desk.today, 9, 5)
    assert _walk_in(desk, role=role).status_code == status
    assert _booked_in(desk, 9, 0) == 0
