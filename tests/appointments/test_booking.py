"""Booking, the places it takes, and the ways a booking is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.appointments.domain.booking_code import ALPHABET
from tests.appointments.conftest import local


def _problem(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code
    return r.json()


def test_a_booking_takes_a_place_and_answers_in_local_time(desk):
    start = local(desk.today, 9)
    r = desk.book(start, phone="+86 138 0013 8000")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "booked"
    assert body["department"] == "RESP"
    assert body["slot_start"] == f"{desk.today.isoformat()}T09:00:00+08:00"
    assert body["slot_end"] == f"{desk.today.isoformat()}T09:15:00+08:00"
    assert len(body["booking_code"]) == 8 and set(body["booking_code"]) <= set(ALPHABET)
    assert body["phone"].endswith("8000") and "138" not in body["phone"]
    slot = desk.slot(desk.today, start)
    assert (slot["capacity"], slot["booked"], slot["available"]) == (3, 1, 2)
    fetched = desk.client.get(f"/appointments/{body['id']}", headers=desk.headers("auditor"))
    assert fetched.status_code == 200 and fetched.json()["booking_code"] == body["booking_code"]


def test_a_full_slot_refuses_the_next_booking(desk):
    start = local(desk.today, 10)
    assert [desk.book(start).status_code for _ in range(3)] == [201, 201, 201]
    _problem(desk.book(start), 409, "slot_full")
    assert desk.slot(desk.today, start)["booked"] == 3


def test_one_active_appointment_per_patient_department_and_day(desk):
    assert desk.put_department("CARD", name="Cardiology").status_code == 201
    assert desk.book(local(desk.today, 9), patient="P-1").status_code == 201
    _problem(desk.book(local(desk.today, 10), patient="P-1"), 409, "duplicate_booking")
    assert desk.book(local(desk.today, 10), patient="P-1", department="CARD").status_code == 201
    tomorrow = desk.today + timedelta(days=1)
    assert desk.book(local(tomorrow, 10), patient="P-1").status_code == 201
    # The refused attempt took no place.
    assert desk.slot(desk.today, local(desk.today, 10))["booked"] == 0


@pytest.mark.parametrize(
    ("hh", "mm", "days", "code"),
    [
        (8, 7, 0, "not_a_slot_start"),
        (7, 45, 0, "not_a_slot_start"),  # before opening
        (12, 0, 0, "not_a_slot_start"),  # the last slot ends at closing
        (11, 45, 8, "beyond_booking_horizon"),
        (8, 45, 0, "slot_in_past"),  # the clock stands at 09:20
        (9, 0, 0, "slot_in_past"),
    ],
)
def test_times_that_cannot_be_booked(desk, hh, mm, days, code):
    desk.clock.now = local(desk.today, 9, 20)
    r = desk.book(local(desk.today + timedelta(days=days), hh, mm))
    body = _problem(r, 422, code)
    assert body["errors"][0]["field"] == "slot_start"


@pytest.mark.parametrize(("hh", "mm", "days"), [(9, 15, 0), (11, 45, 0), (8, 0, 7), (11, 45, 7)])
def test_times_that_can_be_booked(desk, hh, mm, days):
    desk.clock.now = local(desk.today, 9, 20)  # the current slot (09:15) is still bookable
    assert desk.book(local(desk.today + timedelta(days=days), hh, mm)).status_code == 201


def test_the_same_instant_written_in_utc_is_the_same_slot(desk):
    start = local(desk.today, 9).astimezone(datetime.now().astimezone().tzinfo)
    assert desk.book(start).status_code == 201
    assert desk.slot(desk.today, local(desk.today, 9))["booked"] == 1


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"slot_start": "2030-01-01T09:00:00"}, "slot_start"),  # naive
        ({"slot_start": "0001-01-01T00:00:00+14:00"}, "slot_start"),
        ({"patient_name": "x" * 201}, "patient_name"),
        ({"patient_name": "Li\x00Wei"}, "patient_name"),
        ({"patient_external_id": "x" * 65}, "patient_external_id"),
        ({"phone": "call me"}, "phone"),
        ({"status": "checked_in"}, "status"),
        ({"booked": 0}, "booked"),
        ({"id": "abc"}, "id"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(desk, over, field):
    body = {
        "department": "RESP",
        "patient_external_id": "P-9",
        "patient_name": "Li Wei",
        "slot_start": local(desk.today, 9).isoformat(),
        **over,
    }
    r = desk.client.post("/appointments", json=body, headers=desk.headers("nurse"))
    problem = _problem(r, 422, "validation_error")
    assert field in {e["field"].split(".")[-1] for e in problem["errors"]}


def test_unknown_department_is_422(desk):
    _problem(desk.book(local(desk.today, 9), department="NOPE"), 422, "unknown_department")


def test_an_idempotent_retry_replays_and_books_once(desk):
    start = local(desk.today, 9)
    first = desk.book(start, patient="P-7", key="k-1")
    again = desk.book(start, patient="P-7", key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert desk.slot(desk.today, start)["booked"] == 1
    _problem(
        desk.book(local(desk.today, 10), patient="P-7", key="k-1"), 422, "idempotency_key_reused"
    )
    # Keys belong to their caller: another caller's identical key is a new request.
    other = desk.book(start, patient="P-8", key="k-1", role="doctor")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_a_refused_booking_leaves_no_key_behind(desk):
    start = local(desk.today, 9)
    for _ in range(3):
        assert desk.book(start).status_code == 201
    _problem(desk.book(start, patient="P-5", key="retry-me"), 409, "slot_full")
    other = desk.book(local(desk.today, 10), patient="P-5", key="retry-me")
    assert other.status_code == 201  # the key was not consumed by the refusal


def test_cancel_frees_the_place_once(desk):
    start = local(desk.today, 11)
    ids = [desk.book(start, patient=f"C-{i}").json()["id"] for i in range(3)]
    nurse = desk.headers("nurse")
    r = desk.client.post(f"/appointments/{ids[0]}/cancel", headers=nurse)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    again = desk.client.post(f"/appointments/{ids[0]}/cancel", headers=nurse)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert desk.slot(desk.today, start)["booked"] == 2
    assert desk.book(start, patient="C-0").status_code == 201  # cancelled patient rebooks
    _problem(desk.book(start), 409, "slot_full")
    missing = desk.client.post("/appointments/" + "0" * 32 + "/cancel", headers=nurse)
    _problem(missing, 404, "unknown_appointment")


def test_reschedule_moves_the_place_atomically(desk):
    nine, ten = local(desk.today, 9), local(desk.today, 10)
    old = desk.book(nine, patient="R-1").json()
    nurse = desk.headers("nurse")
    r = desk.client.post(
        f"/appointments/{old['id']}/reschedule", json={"slot_start": ten.isoformat()}, headers=nurse
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["rescheduled_from"] == old["id"] and new["status"] == "booked"
    assert new["slot_start"].endswith("T10:00:00+08:00")
    previous = desk.client.get(f"/appointments/{old['id']}", headers=nurse).json()
    assert previous["status"] == "rescheduled"
    assert desk.slot(desk.today, nine)["booked"] == 0
    assert desk.slot(desk.today, ten)["booked"] == 1
    again = desk.client.post(
        f"/appointments/{old['id']}/reschedule",
        json={"slot_start": nine.isoformat()},
        headers=nurse,
    )
    _problem(again, 409, "appointment_not_active")


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [((10, 0), 409, "slot_full"), ((10, 5), 422, "not_a_slot_start")],
)
def test_a_failed_reschedule_leaves_the_original_intact(desk, target, status, code):
    nine, full = local(desk.today, 9), local(desk.today, 10)
    for _ in range(3):
        desk.book(full)
    old = desk.book(nine, patient="R-2").json()
    r = desk.client.post(
        f"/appointments/{old['id']}/reschedule",
        json={"slot_start": local(desk.today, *target).isoformat()},
        headers=desk.headers("nurse"),
    )
    _problem(r, status, code)
    kept = desk.client.get(f"/appointments/{old['id']}", headers=desk.headers("nurse")).json()
    assert kept["status"] == "booked"
    assert desk.slot(desk.today, nine)["booked"] == 1
    assert desk.slot(desk.today, full)["booked"] == 3


def test_lowering_capacity_keeps_bookings_and_stops_new_ones(desk):
    start = local(desk.today, 9)
    ids = [desk.book(start).json()["id"] for _ in range(3)]
    assert desk.put_department(capacity_per_slot=2).status_code == 200
    slot = desk.slot(desk.today, start)
    assert (slot["capacity"], slot["booked"], slot["available"]) == (2, 3, 0)
    for appointment_id in ids:
        got = desk.client.get(f"/appointments/{appointment_id}", headers=desk.headers("nurse"))
        assert got.json()["status"] == "booked"
    _problem(desk.book(start), 409, "slot_full")
    desk.client.post(f"/appointments/{ids[0]}/cancel", headers=desk.headers("nurse"))
    _problem(desk.book(start), 409, "slot_full")  # 2 booked, capacity 2
    assert desk.put_department(capacity_per_slot=5).status_code == 200
    assert [desk.book(start).status_code for _ in range(4)] == [201, 201, 201, 409]


def test_no_show_after_the_slot_and_completed_after_check_in(desk):
    start = local(desk.today, 9)
    nurse = desk.headers("nurse")
    absent = desk.book(start).json()["id"]
    present = desk.book(start).json()["id"]
    _problem(
        desk.client.post(f"/appointments/{absent}/no-show", headers=nurse), 409, "slot_not_over"
    )
    _problem(
        desk.client.post(f"/appointments/{present}/complete", headers=nurse),
        409,
        "appointment_not_active",
    )
    desk.clock.now = local(desk.today, 9, 5)
    readings = {
        "temperature_c": 36.6,
        "mask": True,
        "health_code": "green",
        "risk_area_travel_14d": False,
    }
    r = desk.client.post(f"/appointments/{present}/check-in", json=readings, headers=nurse)
    assert r.json()["outcome"] == "admitted"
    done = desk.client.post(f"/appointments/{present}/complete", headers=nurse)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    desk.clock.now = local(desk.today, 9, 15)
    gone = desk.client.post(f"/appointments/{absent}/no-show", headers=nurse)
    assert gone.status_code == 200 and gone.json()["status"] == "no_show"
    _problem(
        desk.client.post(f"/appointments/{absent}/cancel", headers=nurse),
        409,
        "appointment_not_active",
    )
