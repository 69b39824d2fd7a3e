"""Finding a visitor at the door: booking code, patient id or name, across departments."""

from __future__ import annotations

import pytest

from tests.appointments.conftest import local


def _book(desk, hh, mm=0, department="RESP", patient=None, name="Li Wei"):
    r = desk.book(
        local(desk.today, hh, mm), department=department, patient=patient, patient_name=name
    )
    assert r.status_code == 201, r.text
    return r.json()


def _find(desk, q, role="nurse", **params):
    return desk.client.get(
        "/entrance/arrivals", params={"q": q, **params}, headers=desk.headers(role)
    )


@pytest.fixture
def morning(desk):
    assert desk.put_department("SURG", name="Surgery outpatients").status_code == 201
    booked = {
        "now_resp": _book(desk, 9, patient="P-1", name="Zhang Xiaoming"),
        "now_surg": _book(desk, 9, 15, department="SURG", patient="P-2", name="Zhang Min"),
        "later": _book(desk, 11, patient="P-3", name="Zhang Hua"),
        "cancelled": _book(desk, 9, patient="P-4", name="Zhang Lei"),
    }
    desk.client.post(
        f"/appointments/{booked['cancelled']['id']}/cancel", headers=desk.headers("nurse")
    )
    desk.clock.now = local(desk.today, 9, 5)
    return booked


def test_by_booking_code_any_time_today_with_the_window(desk, morning):
    later = morning["later"]
    r = _find(desk, later["booking_code"].lower())
    assert r.status_code == 200, r.text
    [found] = r.json()["items"]
    assert found["appointment"]["id"] == later["id"]
    assert found["department_name"] == "Respiratory outpatients"
    assert found["arrival_window"]["state"] == "not_yet"
    assert found["arrival_window"]["opens"].endswith("T10:45:00+08:00")


def test_by_patient_id(desk, morning):
    [found] = _find(desk, "P-2").json()["items"]
    assert found["appointment"]["department"] == "SURG"
    assert found["department_name"] == "Surgery outpatients"
    assert found["arrival_window"]["state"] == "open"


def test_by_name_across_departments_in_the_open_window_only(desk, morning):
    items = _find(desk, "zhang").json()["items"]
    assert [i["appointment"]["patient_external_id"] for i in items] == ["P-1", "P-2"]
    in_capitals = _find(desk, "MIN").json()["items"]  # Xiaoming and Min
    assert [i["appointment"]["patient_external_id"] for i in in_capitals] == ["P-1", "P-2"]
    assert _find(desk, "Hua").json()["items"] == []  # 11:00: its window is not open yet
    assert _find(desk, "Lei").json()["items"] == []  # cancelled
    assert _find(desk, "P-4").json()["items"] == []
    assert _find(desk, "%").json()["items"] == []  # a LIKE wildcard is a character


def test_pages(desk, morning):
    first = _find(desk, "zhang", limit=1).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = _find(desk, "zhang", limit=1, cursor=first["next_cursor"]).json()
    assert [i["appointment"]["patient_external_id"] for i in second["items"]] == ["P-2"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("q", ["", "a\x00b", "x" * 201])
def test_bad_queries_are_422(desk, q):
    assert _find(desk, q).status_code == 422


def test_auditors_may_search_nobody_unauthenticated(desk, morning):
    assert _find(desk, "P-1", role="auditor").status_code == 200
    assert desk.client.get("/entrance/arrivals", params={"q": "P-1"}).status_code == 401
