"""The appointments pages: booking with free places, arrivals, check-in outcomes, virtual visits."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.appointments.clients.screening import ScreeningClient
from tests.support.transports import service_client
from tests.ui.conftest import text_of

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
DEPARTMENT = {
    "name": "Respiratory outpatients",
    "slot_minutes": 15,
    "capacity_per_slot": 2,
    "opens": "08:00",
    "closes": "10:00",
}


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def front_desk(desk):
    appointments = desk("appointments")
    appointments.clock = Clock(at(7, 0))
    appointments.client.app.state.clock = appointments.clock
    answer = appointments.api("PUT", "/departments/RESP", json=DEPARTMENT)
    assert answer.status_code == 201, answer.text
    return appointments


def book(desk_, slot: datetime, pid: str = "OP-1", follow: bool = False, **over):
    form = {
        "department": "RESP",
        "day": slot.date().isoformat(),
        "slot_start": slot.isoformat(),
        "patient_external_id": pid,
        "patient_name": "Wang Fang",
        "phone": "",
        **over,
    }
    return desk_.post("/ui/book", form, follow_redirects=follow)  # a 303 to the booking


def check_in(desk_, appointment_id: str, follow: bool = False, **readings):
    form = {
        "temperature_c": "36.6",
        "mask": "yes",
        "health_code": "green",
        "risk_area_travel_14d": "no",
    }
    path = f"/ui/appointments/{appointment_id}/check-in"
    return desk_.post(path, {**form, **readings}, follow_redirects=follow)  # 303 to the outcome


def appointment_ids(desk_) -> list[str]:
    items = desk_.api("GET", f"/appointments?date={DAY.isoformat()}").json()["items"]
    return [a["id"] for a in items]


def test_the_booking_page_shows_free_places_per_slot(front_desk):
    front_desk.as_("nurse")
    page = front_desk.get(f"/ui/book?department=RESP&day={DAY.isoformat()}")
    assert page.status_code == 200
    assert page.text.count('name="slot_start"') == 8
    assert "08:00\u201308:15" in page.text
    book(front_desk, at(8, 0), "OP-1")
    book(front_desk, at(8, 0), "OP-2")
    full = front_desk.get(f"/ui/book?department=RESP&day={DAY.isoformat()}")
    first_slot = re.search(r'<tr class="slot-full">.*?</tr>', full.text, re.S).group(0)
    assert "disabled" in first_slot and "(full)" in first_slot


def test_a_nurse_books_and_sees_the_booking_code(front_desk):
    front_desk.as_("nurse")
    answer = book(front_desk, at(8, 15), follow=True)
    assert answer.status_code == 200
    words = text_of(answer.text)
    code = re.search(r"Booking code (\w+)", words).group(1)
    stored = front_desk.api("GET", f"/appointments?date={DAY.isoformat()}").json()["items"]
    assert [(a["booking_code"], a["patient_external_id"]) for a in stored] == [(code, "OP-1")]


@pytest.mark.parametrize(
    ("slot", "arrange", "status", "message"),
    [
        (at(8, 5), None, 422, "No slot starts at that time."),
        (at(8, 0, DAY + timedelta(days=30)), None, 422, "That day is too far ahead to book yet."),
        (at(8, 0), "full", 409, "That slot is fully booked."),
        (at(9, 0), "same_day", 409, "already holds an appointment in this department that day"),
    ],
)
def test_booking_refusals_are_explained_on_the_form(front_desk, slot, arrange, status, message):
    front_desk.as_("nurse")
    if arrange == "full":
        book(front_desk, slot, "X-1")
        book(front_desk, slot, "X-2")
    if arrange == "same_day":
        book(front_desk, at(8, 0), "OP-1")
    answer = book(front_desk, slot, "OP-1")
    assert answer.status_code == status
    assert message in text_of(answer.text)


def test_booking_form_errors_are_shown_by_field(front_desk):
    front_desk.as_("doctor")
    answer = book(front_desk, at(8, 0), "bad id", patient_name="", slot_start="")
    assert answer.status_code == 422
    for field in ("patient_external_id", "patient_name", "slot_start"):
        assert f'id="{field}-error"' in answer.text
    assert appointment_ids(front_desk) == []


def test_a_feverish_patient_is_sent_to_the_fever_clinic(front_desk):
    front_desk.as_("nurse")
    book(front_desk, at(8, 0))
    front_desk.clock.now = at(7, 50)
    arrivals = front_desk.get(f"/ui/arrivals?department=RESP&day={DAY.isoformat()}")
    (appointment_id,) = appointment_ids(front_desk)
    assert f"/ui/appointments/{appointment_id}/check-in" in arrivals.text
    answer = check_in(front_desk, appointment_id, follow=True, temperature_c="38.2")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "! Go to the fever clinic" in words
    assert "Fever: 38.2 °C (the limit is 37.3 °C)." in words
    assert 'data-outcome="redirected_fever_clinic"' in answer.text
    after = front_desk.get(f"/ui/arrivals?department=RESP&day={DAY.isoformat()}")
    assert "Sent to the fever clinic" in text_of(after.text)


@pytest.mark.parametrize(
    ("readings", "shown", "outcome"),
    [
        ({}, "✓ Admitted", "admitted"),
        ({"mask": "no"}, "✕ Not admitted", "refused"),
        ({"health_code": "yellow"}, "The health code is yellow.", "redirected_fever_clinic"),
        ({"risk_area_travel_14d": "yes"}, "Travel to a risk area", "redirected_fever_clinic"),
    ],
)
def test_check_in_outcomes_are_big_and_clear(front_desk, readings, shown, outcome):
    front_desk.as_("nurse")
    book(front_desk, at(8, 0))
    front_desk.clock.now = at(8, 5)
    (appointment_id,) = appointment_ids(front_desk)
    answer = check_in(front_desk, appointment_id, follow=True, **readings)
    assert shown in text_of(answer.text)
    assert f'data-outcome="{outcome}"' in answer.text


def test_check_in_outside_the_window_and_bad_readings(front_desk):
    front_desk.as_("nurse")
    book(front_desk, at(9, 0))
    (appointment_id,) = appointment_ids(front_desk)
    early = check_in(front_desk, appointment_id)
    assert early.status_code == 409
    assert "Check-in is open from 15 minutes before the slot starts until it ends." in text_of(
        early.text
    )
    attempts = front_desk.api("GET", "/audit?action=appointment.check_in", "auditor").json()
    assert [r["outcome"] for r in attempts["items"]] == ["outside_arrival_window"]
    front_desk.clock.now = at(9, 0)
    for readings, field in (
        ({"temperature_c": "hot"}, "temperature_c"),
        ({"temperature_c": "52"}, "temperature_c"),
        ({"mask": ""}, "mask"),
        ({"health_code": "blue"}, "health_code"),
    ):
        answer = check_in(front_desk, appointment_id, **readings)
        assert answer.status_code == 422 and f'id="{field}-error"' in answer.text
    assert front_desk.get("/ui/appointments/nothex/check-in").status_code == 404
    assert front_desk.get("/ui/appointments/abc123/check-in").status_code == 404


def test_roles_and_csrf(front_desk):
    front_desk.as_("auditor")
    assert front_desk.get("/ui/book").status_code == 403
    assert front_desk.get("/ui/arrivals?department=RESP").status_code == 200
    assert book(front_desk, at(8, 0)).status_code == 403
    front_desk.as_("nurse")
    refused = front_desk.post("/ui/book", {"department": "RESP"}, token=False)
    assert refused.status_code == 403
    assert appointment_ids(front_desk) == []


def test_a_virtual_visit_is_booked_for_an_inpatient(front_desk, desk):
    screening = desk("screening")
    front_desk.client.app.state.screening = ScreeningClient(service_client(screening.client))
    person = {"name": "Zhao Lei", "category": "inpatient", "department": "resp", "ward": "W3"}
    assert screening.api("PUT", "/persons/IP-1", "integration", json=person).status_code == 201
    front_desk.as_("nurse")
    form_page = front_desk.get("/ui/virtual-visits/new?patient=IP-1")
    assert 'value="IP-1"' in form_page.text
    form = {
        "patient_external_id": "IP-1",
        "visitor_name": "Zhao Min",
        "visitor_phone": "13900000000",
        "start": "2026-12-01T10:00",
    }
    booked = front_desk.post("/ui/virtual-visits", form, follow_redirects=True)
    assert booked.status_code == 200
    assert 'id="join-url" href="https://meet.jit.si/wardgate-' in booked.text
    assert "ward W3" in text_of(booked.text)
    unknown = front_desk.post("/ui/virtual-visits", {**form, "patient_external_id": "IP-404"})
    assert unknown.status_code == 422
    assert "The screening service does not know this patient." in text_of(unknown.text)
    bad = front_desk.post("/ui/virtual-visits", {**form, "start": "soon", "visitor_phone": "x"})
    assert bad.status_code == 422
    assert 'id="start-error"' in bad.text and 'id="visitor_phone-error"' in bad.text


def test_booking_pages_speak_chinese(front_desk):
    front_desk.as_("nurse")
    page = front_desk.get(
        f"/ui/book?department=RESP&day={DAY.isoformat()}", headers={"Accept-Language": "zh-CN"}
    )
    assert "预约" in page.text and "空余" in page.text
