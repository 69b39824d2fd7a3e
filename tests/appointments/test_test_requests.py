"""Tests residents ask for: testing sites, booking without sign-in, the person in screening,
the keyed person id, screening down, and the public rate limit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.appointments.clients.screening import ScreeningClient
from services.appointments.domain.public_person import public_person_id
from services.appointments.settings import AppointmentsSettings
from services.appointments.test_requests.person_key import person_id_key
from tests.appointments.conftest import Desk, local
from tests.support.transports import service_client

ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"


@pytest.fixture
def site(make_desk: Any, make_client: Any, idp: Any) -> tuple[Desk, Any]:
    """Appointments (wired to a real screening service) with the testing site T1 and RESP."""
    desk = make_desk(wardgate_service_token=idp.token("integration", sub="svc-appointments"))
    screening = make_client("screening")
    desk.client.app.state.screening = ScreeningClient(service_client(screening))  # type: ignore[attr-defined]
    r = desk.put_department("T1", name="Community testing site", kind="testing")
    assert r.status_code == 201, r.text
    return desk, screening


def ask(desk: Desk, slot_start: Any, *, id_number: str = ID_NUMBER, **over: Any) -> Any:
    body = {
        "site": "T1",
        "slot_start": slot_start.isoformat(),
        "name": "张伟",
        "id_number": id_number,
        "phone": PHONE,
        **over,
    }
    return desk.client.post("/test-requests", json=body)


def person_of(screening: Any, idp: Any, external_id: str, role: str = "auditor") -> dict[str, Any]:
    r = screening.get(f"/persons/{external_id}", headers=idp.headers(role))
    assert r.status_code == 200, r.text
    return dict(r.json())


def detail_of(row: dict[str, Any]) -> dict[str, Any]:
    detail = row["detail"]
    return dict(json.loads(detail) if isinstance(detail, str) else detail)


def desk_read(desk: Desk, code: str) -> Any:
    return desk.client.get(f"/test-requests/{code}", headers=desk.headers("nurse"))


def test_department_kind_defaults_to_clinic_and_takes_testing(desk):
    r = desk.client.get("/departments/RESP", headers=desk.headers("nurse"))
    assert r.json()["kind"] == "clinic"
    r = desk.put_department("T9", name="Site", kind="testing")
    assert r.status_code == 201 and r.json()["kind"] == "testing"
    r = desk.put_department("T9", name="Site", kind="lab")
    assert r.status_code == 422


def test_a_resident_books_without_signing_in_and_becomes_a_public_person(site, idp):
    desk, screening = site
    start = local(desk.today, 9)
    r = ask(desk, start)
    assert r.status_code == 201, r.text
    booked = r.json()
    assert set(booked) == {"booking_code", "site", "slot_start", "slot_end"}
    assert booked["site"] == "T1" and len(booked["booking_code"]) == 8
    assert booked["slot_start"] == start.isoformat()
    held = desk_read(desk, booked["booking_code"]).json()
    assert held["person_external_id"].startswith("pub-")
    person = person_of(screening, idp, held["person_external_id"])
    assert person["category"] == "public" and person["name"] == "张伟"
    # masked as every person's number is (to all but ward staff, as for every person)
    assert person["id_number"] != ID_NUMBER and ID_NUMBER not in str(person)
    assert PHONE not in str(person)
    full = person_of(screening, idp, held["person_external_id"], role="nurse")
    assert full["id_number"] == ID_NUMBER and full["phone"] == PHONE


def test_the_same_id_number_is_the_same_person_and_the_id_does_not_reveal_it(site):
    desk, _ = site
    first = ask(desk, local(desk.today, 9)).json()
    again = ask(desk, local(desk.today + timedelta(days=1), 9), name="张伟伟").json()
    other = ask(desk, local(desk.today, 9), id_number="110105194912310038").json()
    ids = [
        desk_read(desk, b["booking_code"]).json()["person_external_id"]
        for b in (first, again, other)
    ]
    assert ids[0] == ids[1] != ids[2]
    assert ID_NUMBER not in ids[0] and ID_NUMBER[-4:] not in ids[0]
    # a lower-case x is the same number
    same = ask(desk, local(desk.today + timedelta(days=2), 9), id_number="11010519491231002x")
    assert desk_read(desk, same.json()["booking_code"]).json()["person_external_id"] == ids[0]


def test_the_id_depends_on_the_key_kept_in_the_data_dir(tmp_path):
    assert public_person_id(ID_NUMBER, b"key-one") != public_person_id(ID_NUMBER, b"key-two")
    settings = AppointmentsSettings(wardgate_data_dir=tmp_path)
    key = person_id_key(settings)
    assert key == person_id_key(settings) and len(key) >= 32
    assert (tmp_path / "person-id.key").stat().st_mode & 0o777 == 0o600
    given = AppointmentsSettings(wardgate_data_dir=tmp_path, wardgate_person_id_key="k" * 40)
    assert person_id_key(given) == b"k" * 40


def test_only_a_testing_site_takes_requests(site):
    desk, _ = site
    r = ask(desk, local(desk.today, 9), site="RESP")
    assert r.status_code == 422 and r.json()["code"] == "not_a_testing_site"
    r = ask(desk, local(desk.today, 9), site="NOPE")
    assert r.status_code == 422 and r.json()["code"] == "not_a_testing_site"


def test_capacity_duplicates_and_times_as_for_appointments(site):
    desk, _ = site
    start = local(desk.today, 10)
    ids = ["110105194912310038", "110105194912310046", "110105194912310054"]
    for number in ids:
        assert ask(desk, start, id_number=number).status_code == 201
    full = ask(desk, start, id_number="110105194912310062")
    assert full.status_code == 409 and full.json()["code"] == "slot_full"
    dup = ask(desk, local(desk.today, 11), id_number=ids[0])
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_booking"
    odd = ask(desk, local(desk.today, 10, 7))
    assert odd.status_code == 422 and odd.json()["code"] == "not_a_slot_start"
    far = ask(desk, local(desk.today + timedelta(days=30), 9))
    assert far.status_code == 422 and far.json()["code"] == "beyond_booking_horizon"
    bad = ask(desk, start, id_number="12")
    assert bad.status_code == 422


def test_screening_down_answers_503_and_books_nothing(site):
    desk, _ = site

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    desk.client.app.state.screening = ScreeningClient(service_client(down))  # type: ignore[attr-defined]
    start = local(desk.today, 9)
    r = ask(desk, start)
    assert r.status_code == 503 and r.json()["code"] == "screening_unavailable"
    assert desk.slot(desk.today, start, department="T1")["booked"] == 0


def test_the_desk_reads_a_booking_by_code_and_the_public_cannot(site):
    desk, _ = site
    code = ask(desk, local(desk.today, 9)).json()["booking_code"]
    held = desk_read(desk, code)
    assert held.status_code == 200 and held.json()["status"] == "booked"
    assert desk_read(desk, "ZZZZZZZZ").status_code == 404
    clinic = desk.book(local(desk.today, 9)).json()["booking_code"]  # a RESP appointment
    assert desk_read(desk, clinic).status_code == 404
    assert desk.client.get(f"/test-requests/{code}").status_code == 401


def test_the_rate_limit_answers_429_with_retry_after_and_is_audited(make_desk, make_client, idp):
    desk = make_desk(
        wardgate_service_token=idp.token("integration"), wardgate_public_rate_per_min=3
    )
    desk.client.app.state.screening = ScreeningClient(service_client(make_client("screening")))
    desk.put_department("T1", name="Site", kind="testing")
    answers = [ask(desk, local(desk.today, 9), site="RESP").status_code for _ in range(3)]
    assert answers == [422, 422, 422]  # refused requests count too: they are public requests
    r = ask(desk, local(desk.today, 9))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert desk.slot(desk.today, local(desk.today, 9), department="T1")["booked"] == 0
    # another address is not held (the limit is per client address)
    other = desk.client.post(
        "/test-requests",
        json={
            "site": "T1",
            "slot_start": local(desk.today, 9).isoformat(),
            "name": "李娜",
            "id_number": "110105194912310038",
            "phone": PHONE,
        },
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    assert other.status_code == 429  # no trusted proxy: X-Forwarded-For is not believed
    desk.client.app.state.audit_denials.flush(everything=True)  # type: ignore[attr-defined]
    rows = desk.client.get("/audit", headers=desk.headers("auditor")).json()["items"]
    denied = [row for row in rows if row["action"] == "auth.denied"]
    assert denied and denied[0]["outcome"] == "rate_limited"
    assert detail_of(denied[0])["status"] == 429


def test_a_booking_is_audited_without_the_id_number(site):
    desk, _ = site
    code = ask(desk, local(desk.today, 9)).json()["booking_code"]
    rows = desk.client.get("/audit", headers=desk.headers("auditor")).json()["items"]
    booked = [row for row in rows if row["action"] == "test_request.book"]
    assert len(booked) == 1 and detail_of(booked[0])["booking_code"] == code
    assert booked[0]["actor"] == "anonymous"
    assert ID_NUMBER not in str(rows) and PHONE not in str(rows)
