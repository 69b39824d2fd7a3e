"""Issue 16 on the appointments pages: no doomed action offered, post/redirect/get, 45 °C.

Each test asserts what a nurse sees (or what is stored) and failed on the pages before.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.appointments.clients.screening import ScreeningClient
from tests.support.transports import service_client
from tests.ui.conftest import text_of
from tests.ui.test_appointments_pages import DAY, appointment_ids, at, book, check_in

TOMORROW = DAY + timedelta(days=1)
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def front_desk(desk):
    """The appointments pages at 07:00 on DAY, RESP 08:00-10:00, booking 7 days ahead."""
    from tests.ui.test_appointments_pages import DEPARTMENT, Clock

    appointments = desk("appointments")
    appointments.clock = Clock(at(7, 0))
    appointments.client.app.state.clock = appointments.clock
    answer = appointments.api("PUT", "/departments/RESP", json=DEPARTMENT)
    assert answer.status_code == 201, answer.text
    return appointments.as_("nurse")


def _ids_on(desk_, day) -> list[str]:
    items = desk_.api("GET", f"/appointments?date={day.isoformat()}").json()["items"]
    return [a["id"] for a in items]


def _check_ins(desk_) -> list[dict]:
    return desk_.api("GET", "/check-ins?department=RESP", "auditor").json()["items"]


def _arrivals(desk_, day, **kw):
    return desk_.get(f"/ui/arrivals?department=RESP&day={day.isoformat()}", **kw)


# 6. Pages that invite a doomed action ------------------------------------------------------


def test_tomorrows_bookings_offer_no_check_in_and_say_when_it_opens(front_desk):
    book(front_desk, at(8, 0, TOMORROW), "OP-T")
    (tomorrow_id,) = _ids_on(front_desk, TOMORROW)
    page = _arrivals(front_desk, TOMORROW)
    assert f"/ui/appointments/{tomorrow_id}/check-in" not in page.text
    assert "Check-in from 07:45" in text_of(page.text)
    form = front_desk.get(f"/ui/appointments/{tomorrow_id}/check-in")
    assert 'name="temperature_c"' not in form.text
    assert f"Check-in opens at {TOMORROW.isoformat()} 07:45" in text_of(form.text)


def test_check_in_is_offered_while_the_arrival_window_is_open(front_desk):
    book(front_desk, at(8, 0), "OP-1")
    (appointment_id,) = appointment_ids(front_desk)
    link = f"/ui/appointments/{appointment_id}/check-in"
    assert link not in _arrivals(front_desk, DAY).text  # 07:00: opens at 07:45
    front_desk.clock.now = at(7, 45)
    assert link in _arrivals(front_desk, DAY).text
    front_desk.clock.now = at(8, 15)  # the slot is over: a no-show, not a check-in
    page = _arrivals(front_desk, DAY)
    assert link not in page.text and "Slot over" in text_of(page.text)


def test_a_fever_clinic_outcome_is_shown_instead_of_the_form(front_desk):
    book(front_desk, at(8, 0))
    (appointment_id,) = appointment_ids(front_desk)
    front_desk.clock.now = at(7, 55)
    check_in(front_desk, appointment_id, temperature_c="38.2")
    form = front_desk.get(f"/ui/appointments/{appointment_id}/check-in")
    assert form.status_code == 200
    assert 'name="temperature_c"' not in form.text
    assert 'data-outcome="redirected_fever_clinic"' in form.text
    assert "Fever: 38.2 °C" in text_of(form.text)
    refill = check_in(front_desk, appointment_id, temperature_c="36.5")  # an old tab
    assert refill.status_code == 409
    assert 'data-outcome="redirected_fever_clinic"' in refill.text
    assert [c["outcome"] for c in _check_ins(front_desk)] == ["redirected_fever_clinic"]


def test_refused_for_no_mask_may_check_in_again(front_desk):
    book(front_desk, at(8, 0))
    (appointment_id,) = appointment_ids(front_desk)
    front_desk.clock.now = at(7, 55)
    check_in(front_desk, appointment_id, mask="no")
    form = front_desk.get(f"/ui/appointments/{appointment_id}/check-in")
    assert 'name="temperature_c"' in form.text
    assert "The last attempt, at 2026-12-01 07:55, was not admitted" in text_of(form.text)
    answer = check_in(front_desk, appointment_id)
    assert answer.status_code == 303
    assert [c["outcome"] for c in _check_ins(front_desk)] == ["refused", "admitted"]


def test_a_day_beyond_booking_days_ahead_is_not_offered(front_desk):
    beyond = DAY + timedelta(days=8)
    page = front_desk.get(f"/ui/book?department=RESP&day={beyond.isoformat()}")
    assert 'name="slot_start"' not in page.text
    words = text_of(page.text)
    assert f"Booking for {beyond.isoformat()} is not open yet" in words
    assert f"that day opens on {(DAY + timedelta(days=1)).isoformat()}" in words
    last = front_desk.get(f"/ui/book?department=RESP&day={(DAY + timedelta(days=7)).isoformat()}")
    assert last.text.count('name="slot_start"') == 8
    slots = front_desk.api("GET", f"/departments/RESP/slots?date={beyond.isoformat()}").json()
    assert slots["last_bookable_day"] == (DAY + timedelta(days=7)).isoformat()


def test_the_booking_page_lists_no_slot_already_over(front_desk):
    front_desk.clock.now = at(8, 20)
    page = front_desk.get(f"/ui/book?department=RESP&day={DAY.isoformat()}")
    labels = re.findall(r'<label for="slot-\d+">([^<]+)</label>', page.text)
    assert labels[0].startswith("08:15\u201308:30")  # the current slot may still be booked
    assert len(labels) == 7 and "08:00\u201308:15" not in page.text
    front_desk.clock.now = at(10, 0)
    over = front_desk.get(f"/ui/book?department=RESP&day={DAY.isoformat()}")
    assert 'name="slot_start"' not in over.text
    assert "Every slot of that day is over." in text_of(over.text)


# 7. Back after a POST: post/redirect/get ---------------------------------------------------


def test_a_booking_answers_303_to_its_page_and_a_resubmission_books_nothing(front_desk):
    form_page = front_desk.get(f"/ui/book?department=RESP&day={DAY.isoformat()}")
    retry = re.search(r'name="retry" value="([^"]+)"', form_page.text).group(1)
    first = book(front_desk, at(8, 15), retry=retry)
    assert first.status_code == 303
    (appointment_id,) = appointment_ids(front_desk)
    assert first.headers["location"] == f"/ui/appointments/{appointment_id}?booked=1"
    again = book(front_desk, at(8, 15), retry=retry)  # "Confirm Form Resubmission" pressed
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    shown = front_desk.get(first.headers["location"])
    assert shown.status_code == 200
    code = front_desk.api("GET", f"/appointments/{appointment_id}").json()["booking_code"]
    words = text_of(shown.text)
    assert f"Booking code {code}" in words
    assert "Respiratory outpatients (RESP)" in words and "2026-12-01 08:15" in words
    front_desk.get(first.headers["location"])  # reload
    assert appointment_ids(front_desk) == [appointment_id]


def test_a_check_in_answers_303_to_its_outcome_and_a_reload_screens_no_one_again(front_desk):
    book(front_desk, at(8, 0))
    (appointment_id,) = appointment_ids(front_desk)
    front_desk.clock.now = at(8, 5)
    answer = check_in(front_desk, appointment_id, temperature_c="37.8")
    assert answer.status_code == 303
    (attempt,) = _check_ins(front_desk)
    where = f"/ui/appointments/{appointment_id}/check-ins/{attempt['id']}"
    assert answer.headers["location"] == where
    for _ in range(2):  # the page, then a reload
        page = front_desk.get(where)
        assert page.status_code == 200 and 'data-outcome="redirected_fever_clinic"' in page.text
    assert len(_check_ins(front_desk)) == 1
    assert front_desk.get(f"/ui/appointments/{appointment_id}/check-ins/999").status_code == 404


def test_a_virtual_visit_answers_303_to_its_page_with_the_join_link(front_desk, desk):
    screening = desk("screening")
    front_desk.client.app.state.screening = ScreeningClient(service_client(screening.client))
    person = {"name": "Zhao Lei", "category": "inpatient", "department": "resp", "ward": "W3"}
    assert screening.api("PUT", "/persons/IP-1", "integration", json=person).status_code == 201
    form = {
        "patient_external_id": "IP-1",
        "visitor_name": "Zhao Min",
        "visitor_phone": "13900000000",
        "start": "2026-12-01T10:00",
        "retry": "ui-visit-once",
    }
    answer = front_desk.post("/ui/virtual-visits", form)
    assert answer.status_code == 303
    again = front_desk.post("/ui/virtual-visits", form)
    assert again.headers["location"] == answer.headers["location"]
    page = front_desk.get(answer.headers["location"])
    assert 'id="join-url" href="https://meet.jit.si/wardgate-' in page.text
    visits = front_desk.api("GET", "/virtual-visits?patient_external_id=IP-1", "nurse").json()
    assert len(visits["items"]) == 1


# 8. 45 °C is a thermometer error, not a fever -----------------------------------------------


@pytest.mark.parametrize("reading", ["45", "42.1", "33.9"])
def test_an_implausible_temperature_asks_to_re_measure_and_stores_nothing(front_desk, reading):
    book(front_desk, at(8, 0))
    (appointment_id,) = appointment_ids(front_desk)
    front_desk.clock.now = at(8, 0)
    answer = check_in(front_desk, appointment_id, temperature_c=reading)
    assert answer.status_code == 422
    assert 'id="temperature_c-error"' in answer.text
    assert "Re-measure the temperature" in text_of(answer.text)
    assert 'data-outcome="' not in answer.text
    assert _check_ins(front_desk) == []
    front_desk.client.cookies.set("wardgate_lang", "zh_CN")
    zh = check_in(front_desk, appointment_id, temperature_c=reading)
    assert "请复测体温" in text_of(zh.text)


# Names, not codes; phones: the arrivals table ------------------------------------------------


def test_arrivals_name_the_department_and_put_patient_and_status_first(front_desk):
    book(front_desk, at(8, 0), "OP-1")
    front_desk.clock.now = at(7, 50)
    page = _arrivals(front_desk, DAY)
    assert "Appointments of 2026-12-01 in Respiratory outpatients (RESP)" in text_of(page.text)
    headings = re.findall(r'<th scope="col">([^<]+)</th>', page.text)
    assert headings[:3] == ["Patient", "Slot", "Status"]
    zh = _arrivals(front_desk, DAY, headers=ZH)
    assert "Respiratory outpatients (RESP) 2026-12-01 的预约" in text_of(zh.text)
    assert "为 Wang Fang 签到" in zh.text
