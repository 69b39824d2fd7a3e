"""The entrance desk without scripts: find, readings, decision (PRG), walk-ins, refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.auth.health_codes import dev_signing_key, issue_health_code
from tests.ui.conftest import text_of

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)
DEPARTMENTS = {
    "RESP": {
        "name": "Respiratory outpatients",
        "slot_minutes": 15,
        "capacity_per_slot": 2,
        "opens": "08:00",
        "closes": "10:00",
    },
    "DERM": {
        "name": "Dermatology",
        "slot_minutes": 30,
        "capacity_per_slot": 1,
        "opens": "08:00",
        "closes": "09:00",
    },
}


def at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(DAY, time(hh, mm), tzinfo=TZ)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


def open_door(desk, service_env, **settings):
    """The appointments service at 08:05 on DAY with RESP and DERM, a nurse signed in."""
    appointments = desk("appointments", **settings)
    appointments.client.app.state.clock = Clock(at(8, 5))
    for code, body in DEPARTMENTS.items():
        answer = appointments.api("PUT", f"/departments/{code}", json=body)
        assert answer.status_code == 201, answer.text
    appointments.data_dir = Path(service_env["WARDGATE_DATA_DIR"])
    return appointments.as_("nurse")


@pytest.fixture
def door(desk, service_env):
    return open_door(desk, service_env)


def booked(door, pid: str, name: str, slot: datetime, department: str = "RESP") -> dict:
    body = {
        "department": department,
        "patient_external_id": pid,
        "patient_name": name,
        "slot_start": slot.isoformat(),
    }
    answer = door.api("POST", "/appointments", role="nurse", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def health_code(door, colour: str = "green", name: str = "王*", **kw) -> str:
    return issue_health_code(dev_signing_key(door.data_dir), colour=colour, name_masked=name, **kw)


def readings(appointment_id: str = "", **over: str) -> dict[str, str]:
    form = {
        "health_code_payload": "",
        "health_code": "",
        "temperature_c": "36.6",
        "mask": "yes",
        "risk_area_travel_14d": "no",
        **over,
    }
    return {"appointment_id": appointment_id, **form} if appointment_id else form


def stored(door, pid: str) -> list[dict]:
    answer = door.api("GET", f"/check-ins?patient_external_id={pid}", role="auditor")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_the_desk_needs_a_signed_in_ward_nurse(desk, service_env):
    door = open_door(desk, service_env)
    door.client.cookies.clear()
    signed_out = door.get("/ui/entrance", follow_redirects=False)
    assert signed_out.status_code == 303
    door.as_("auditor")
    assert door.get("/ui/entrance").status_code == 403
    door.as_("nurse")
    page = door.get("/ui/entrance")
    assert page.status_code == 200
    assert re.search(r'<input id="q" name="q"[^>]* autofocus', page.text)
    # Names and patient ids are posted: they never reach a URL or an access log.
    assert re.search(r'<form method="post" action="/ui/entrance" id="find-form"', page.text)
    assert "/ui/static/jsQR.js" in page.text and "/ui/static/entrance.js" in page.text
    landing = door.get("/ui/")
    assert 'href="/ui/entrance"' in landing.text


def test_the_decoder_and_its_licence_are_served_by_wardgate(door):
    script = door.client.get("/ui/static/jsQR.js")
    assert script.status_code == 200
    assert "jsQR" in script.text[:2000]
    licence = door.client.get("/ui/static/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
    assert door.client.get("/ui/static/entrance.js").status_code == 200


def test_a_booking_code_goes_straight_to_the_readings_with_common_defaults(door):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    sent = door.post("/ui/entrance", {"q": visit["booking_code"]})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/ui/entrance?appointment={visit['id']}"
    page = door.get(sent.headers["location"])
    assert page.status_code == 200
    text = text_of(page.text)
    assert "王芳" in text and visit["booking_code"] in text
    assert f'name="appointment_id" value="{visit["id"]}"' in page.text
    assert re.search(r'id="health_code_payload"[^>]* autofocus', page.text)
    assert re.search(r'id="mask-yes"[^>]*checked', page.text)
    assert re.search(r'id="risk_area_travel_14d-no"[^>]*checked', page.text)
    assert not re.search(r'name="health_code" value="\w+" checked', page.text)
    by_id = door.post("/ui/entrance", {"q": " OP-1 "}, follow_redirects=True)
    assert f'name="appointment_id" value="{visit["id"]}"' in by_id.text


def test_a_name_finds_every_department_and_a_miss_offers_a_walk_in(door):
    first = booked(door, "OP-1", "王芳", at(8, 0))
    second = booked(door, "OP-2", "王芳华", at(8, 0), department="DERM")
    later = booked(door, "OP-3", "王芳芳", at(9, 30))
    page = door.post("/ui/entrance", {"q": "王芳"})
    assert page.status_code == 200
    listed = page.text[page.text.index('id="matches"') :]
    assert f"?appointment={first['id']}" in listed and f"?appointment={second['id']}" in listed
    assert "Dermatology (DERM)" in listed
    assert f"?appointment={later['id']}" not in listed  # its window is not open yet
    chosen = door.get(f"/ui/entrance?appointment={second['id']}")
    assert f'name="appointment_id" value="{second["id"]}"' in chosen.text
    early = door.post("/ui/entrance", {"q": later["booking_code"]})
    assert "Check-in from 09:15" in text_of(early.text)
    assert 'name="appointment_id"' not in early.text
    empty = door.post("/ui/entrance", {"q": "  "})
    assert empty.status_code == 422 and "Please fill this in." in text_of(empty.text)
    miss = door.post("/ui/entrance", {"q": "Nobody"})
    assert "No appointment today matches" in text_of(miss.text)
    assert 'href="/ui/entrance/walk-in"' in miss.text


def test_a_health_code_scanned_into_the_find_field_is_explained(door):
    page = door.post("/ui/entrance", {"q": health_code(door)})
    assert page.status_code == 422
    assert "That is a health code" in text_of(page.text)


def test_a_verified_code_admits_and_the_decision_survives_reload(door):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    sent = door.post(
        "/ui/entrance/check-ins", readings(visit["id"], health_code_payload=health_code(door))
    )
    assert sent.status_code == 303
    where = sent.headers["location"]
    assert re.fullmatch(r"/ui/entrance/check-ins/\d+", where)
    for _ in range(2):  # reload: the same decision, nothing screened again
        page = door.get(where)
        assert page.status_code == 200
        text = text_of(page.text)
        assert 'data-outcome="admitted"' in page.text
        assert "Admitted" in text and "王芳" in text
        assert "Health code scanned and verified." in text
        assert re.search(r'<input id="q" name="q"[^>]* autofocus', page.text)  # next visitor
    assert [(c["outcome"], c["health_code_source"]) for c in stored(door, "OP-1")] == [
        ("admitted", "verified")
    ]


@pytest.mark.parametrize(
    ("over", "outcome", "words"),
    [
        ({"health_code": "yellow"}, "redirected_fever_clinic", "The health code is yellow."),
        ({"temperature_c": "38.1", "health_code": "green"}, "redirected_fever_clinic", "Fever"),
        ({"mask": "no", "health_code": "green"}, "refused", "No mask is worn."),
    ],
)
def test_the_decision_names_its_reasons(door, over, outcome, words):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    sent = door.post("/ui/entrance/check-ins", readings(visit["id"], **over), follow_redirects=True)
    assert f'data-outcome="{outcome}"' in sent.text
    assert words in text_of(sent.text)
    assert "Health code colour read by hand." in text_of(sent.text)
    assert stored(door, "OP-1")[0]["health_code_source"] == "manual"


def test_an_expired_or_someone_elses_code_is_refused_never_green(door):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    past = at(8, 5).timestamp() - 7200
    expired = health_code(door, now=past, ttl_s=60)
    sent = door.post(
        "/ui/entrance/check-ins",
        readings(visit["id"], health_code_payload=expired, health_code="green"),
        follow_redirects=True,
    )
    assert 'data-outcome="refused"' in sent.text
    assert "The health code is not valid" in text_of(sent.text)
    other = health_code(door, name="李*")
    again = door.post(
        "/ui/entrance/check-ins",
        readings(visit["id"], health_code_payload=other),
        follow_redirects=True,
    )
    assert 'data-outcome="refused"' in again.text
    assert [c["outcome"] for c in stored(door, "OP-1")] == ["refused", "refused"]


@pytest.mark.parametrize("temperature", ["34.9", "42.1", "abc", ""])
def test_an_implausible_or_missing_temperature_is_not_recorded(door, temperature):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    form = readings(visit["id"], temperature_c=temperature, health_code_payload=health_code(door))
    page = door.post("/ui/entrance/check-ins", form)
    assert page.status_code == 422
    text = text_of(page.text)
    if temperature in ("34.9", "42.1"):
        assert f"Re-measure the temperature: {temperature} °C is outside 35.0 to 42.0 °C" in text
    else:
        assert "Enter a number." in text
    assert form["health_code_payload"] in page.text  # the scan is kept, not asked again
    assert stored(door, "OP-1") == []


def test_no_code_and_no_colour_asks_for_one(door):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    page = door.post("/ui/entrance/check-ins", readings(visit["id"]))
    assert page.status_code == 422
    assert "Scan the health code, or choose the colour shown on the phone." in text_of(page.text)
    assert stored(door, "OP-1") == []


def test_a_form_without_its_token_is_refused(door):
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    refused = door.post(
        "/ui/entrance/check-ins", readings(visit["id"], health_code="green"), token=False
    )
    assert refused.status_code == 403
    assert stored(door, "OP-1") == []


def test_verifier_down_asks_for_the_colour_then_records_it_as_read_by_hand(desk, service_env):
    door = open_door(
        desk,
        service_env,
        wardgate_health_code_verifier="http://127.0.0.1:9/verify",
        wardgate_health_code_timeout_s=1.0,
    )
    visit = booked(door, "OP-1", "王芳", at(8, 0))
    payload = health_code(door)
    page = door.post("/ui/entrance/check-ins", readings(visit["id"], health_code_payload=payload))
    assert page.status_code == 503
    assert "cannot be verified right now" in text_of(page.text)
    assert re.search(r'<details class="manual-code" open', page.text)
    sent = door.post(
        "/ui/entrance/check-ins",
        readings(visit["id"], health_code_payload=payload, health_code="green"),
        follow_redirects=True,
    )
    assert 'data-outcome="admitted"' in sent.text
    assert "Health code colour read by hand." in text_of(sent.text)
    assert [c["health_code_source"] for c in stored(door, "OP-1")] == ["manual"]


def test_an_unknown_appointment_or_check_in_is_404(door):
    assert (
        door.post("/ui/entrance/check-ins", readings("ffff", health_code="green")).status_code
        == 404
    )
    assert door.get("/ui/entrance/check-ins/999999").status_code == 404
    assert door.get("/ui/entrance/check-ins/abc").status_code == 404


def test_a_walk_in_is_booked_into_the_current_slot_and_checked_in(door):
    offer = door.get("/ui/entrance/walk-in?department=DERM")
    assert offer.status_code == 200
    assert "Current slot 08:00\u201308:30, free places: 1." in text_of(offer.text)
    form = {
        "department": "DERM",
        "patient_name": "赵磊",
        "patient_external_id": "",
        "phone": "",
        **readings(health_code_payload=health_code(door, name="赵*")),
    }
    sent = door.post("/ui/entrance/walk-in", form)
    assert sent.status_code == 303
    page = door.get(sent.headers["location"])
    assert 'data-outcome="admitted"' in page.text and "赵磊" in page.text
    held = door.api("GET", f"/appointments?department=DERM&date={DAY.isoformat()}").json()
    assert [(a["patient_name"], a["status"], a["slot_start"][11:16]) for a in held["items"]] == [
        ("赵磊", "checked_in", "08:00")
    ]
    nxt = door.get("/ui/entrance/walk-in?department=DERM")
    assert "Next free slot 08:30\u201309:00, free places: 1." in text_of(nxt.text)


def test_a_walk_in_without_a_free_place_is_told_so(door):
    booked(door, "OP-1", "甲", at(8, 0), department="DERM")
    booked(door, "OP-2", "乙", at(8, 30), department="DERM")
    offer = door.get("/ui/entrance/walk-in?department=DERM")
    assert "This department has no free place left today." in text_of(offer.text)
    form = {
        "department": "DERM",
        "patient_name": "赵磊",
        "patient_external_id": "",
        "phone": "",
        **readings(health_code="green"),
    }
    refused = door.post("/ui/entrance/walk-in", form)
    assert refused.status_code == 409
    assert "This department has no free place left today." in text_of(refused.text)
    held = door.api("GET", f"/appointments?department=DERM&date={DAY.isoformat()}").json()
    assert len(held["items"]) == 2


def test_a_walk_in_form_with_errors_keeps_what_was_typed(door):
    form = {
        "department": "RESP",
        "patient_name": "",
        "patient_external_id": "",
        "phone": "",
        **readings(health_code="green", temperature_c="43"),
    }
    page = door.post("/ui/entrance/walk-in", form)
    assert page.status_code == 422
    assert "Re-measure the temperature" in text_of(page.text)
    unknown = door.get("/ui/entrance/walk-in?department=NOPE")
    assert unknown.status_code == 422
    assert door.api("GET", f"/appointments?date={DAY.isoformat()}").json()["items"] == []


def test_the_arrivals_page_shows_the_entrance_day(door):
    first = booked(door, "OP-1", "王芳", at(8, 0))
    second = booked(door, "OP-2", "李娜", at(8, 0))
    booked(door, "OP-3", "张伟", at(8, 15))
    door.post(
        "/ui/entrance/check-ins", readings(first["id"], health_code_payload=health_code(door))
    )
    door.post(
        "/ui/entrance/check-ins", readings(second["id"], health_code="green", temperature_c="38.0")
    )
    page = door.get(f"/ui/arrivals?department=RESP&day={DAY.isoformat()}")
    assert page.status_code == 200
    summary = page.text[page.text.index('id="entrance-summary"') :]
    figures = dict(
        re.findall(r'<div id="figure-([\w-]+)"[^>]*><dt>[^<]*</dt><dd>(\d+)</dd>', summary)
    )
    assert figures == {
        "admitted": "1",
        "fever-clinic": "1",
        "refused": "0",
        "fever": "1",
        "verified": "1",
        "manual": "1",
    }
    rows = re.findall(
        r"<tr><th scope=\"row\">([^<]+)</th>((?:<td class=\"num\">\d+</td>)+)</tr>", summary
    )
    by_department = {name: re.findall(r"\d+", cells) for name, cells in rows if "(" in name}
    assert by_department["Respiratory outpatients (RESP)"] == ["3", "2", "1"]
    assert by_department["Dermatology (DERM)"] == ["0", "0", "0"]
    by_hour = {name: re.findall(r"\d+", cells) for name, cells in rows if "(" not in name}
    assert by_hour["08:00"] == ["1", "1", "0"]  # admitted, fever clinic, refused
    assert by_hour["17:00"] == ["0", "0", "0"]  # the clinic day is shown whole
    assert summary.count('<svg class="chart"') == 2
