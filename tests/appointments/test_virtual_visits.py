"""Virtual ward visits: the ward from the screening service, window capacity, faults."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from services.appointments.clients.screening import ScreeningClient
from tests.appointments.conftest import local
from tests.support.transports import service_client

PERSONS = {
    "IN-1": {
        "external_id": "IN-1",
        "name": "Wang Fang",
        "category": "inpatient",
        "department": "RESP",
        "ward": "W3",
    },
    "IN-2": {
        "external_id": "IN-2",
        "name": "Zhao Lei",
        "category": "inpatient",
        "department": "RESP",
        "ward": "W3",
    },
    "IN-3": {
        "external_id": "IN-3",
        "name": "Sun Li",
        "category": "inpatient",
        "department": "CARD",
        "ward": "W7",
    },
    "OUT-1": {
        "external_id": "OUT-1",
        "name": "Qian Yu",
        "category": "outpatient",
        "department": "RESP",
        "ward": None,
    },
    "IN-NOWARD": {
        "external_id": "IN-NOWARD",
        "name": "Zhou Bo",
        "category": "inpatient",
        "department": "RESP",
    },
}


def _registry(seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        external_id = request.url.path.rsplit("/", 1)[-1]
        if external_id in PERSONS:
            return httpx.Response(200, json=PERSONS[external_id])
        return httpx.Response(404, json={"status": 404, "code": "not_found"})

    return handler


def _use_screening(desk, handler) -> None:
    desk.client.app.state.screening = ScreeningClient(service_client(handler))


@pytest.fixture
def visits(desk):
    seen: list[httpx.Request] = []
    _use_screening(desk, _registry(seen))
    desk.seen = seen
    return desk


def _visit(desk, patient="IN-1", hh=15, mm=0, role="nurse", key=None, headers=None, **over):
    headers = dict(headers or desk.headers(role))
    if key:
        headers["Idempotency-Key"] = key
    body = {
        "patient_external_id": patient,
        "visitor_name": "Wang Min",
        "visitor_phone": "+86 139 1234 5678",
        "start": local(desk.today, hh, mm).isoformat(),
        **over,
    }
    return desk.client.post("/virtual-visits", json=body, headers=headers)


def test_a_visit_gets_the_ward_and_an_unguessable_join_url(visits):
    caller = visits.headers("nurse")
    r = _visit(visits, hh=15, mm=10, headers=caller)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ward"] == "W3" and body["status"] == "booked"
    assert body["window_start"].endswith("T15:00:00+08:00")
    assert body["window_end"].endswith("T15:30:00+08:00")
    assert body["join_url"].startswith("https://meet.jit.si/wardgate-")
    room = body["join_url"].removeprefix("https://meet.jit.si/wardgate-")
    assert len(room) >= 20
    assert body["visitor_phone"].endswith("5678") and "139" not in body["visitor_phone"]
    other = _visit(visits, patient="IN-2", hh=15, mm=10).json()
    assert other["join_url"] != body["join_url"]
    sent = visits.seen[0]
    assert sent.url.path == "/persons/IN-1"
    assert sent.headers["authorization"] == caller["Authorization"]  # token relay
    got = visits.client.get(f"/virtual-visits/{body['id']}", headers=visits.headers("auditor"))
    assert got.status_code == 200 and got.json()["join_url"] == body["join_url"]


def test_ward_window_capacity_and_cancel(visits):
    assert _visit(visits, "IN-1", 15, 0).status_code == 201
    second = _visit(visits, "IN-2", 15, 29).json()
    full = _visit(visits, "IN-1", 15, 15)
    assert full.status_code == 409 and full.json()["code"] == "ward_window_full"
    assert _visit(visits, "IN-3", 15, 15).status_code == 201  # another ward
    assert _visit(visits, "IN-1", 15, 30).status_code == 201  # the next window
    nurse = visits.headers("nurse")
    cancelled = visits.client.post(f"/virtual-visits/{second['id']}/cancel", headers=nurse)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = visits.client.post(f"/virtual-visits/{second['id']}/cancel", headers=nurse)
    assert again.status_code == 200
    assert _visit(visits, "IN-1", 15, 20).status_code == 201
    assert _visit(visits, "IN-2", 15, 20).json()["code"] == "ward_window_full"
    listed = visits.client.get("/virtual-visits", params={"ward": "W3"}, headers=nurse).json()
    assert [v["status"] for v in listed["items"]] == ["booked", "booked", "cancelled", "booked"]


def test_capacity_and_url_template_are_configuration(make_desk):
    desk = make_desk(
        wardgate_virtual_visit_capacity=1,
        wardgate_video_url_template="https://video.hospital.test/r/{room}?lang=zh",
    )
    _use_screening(desk, _registry([]))
    first = _visit(desk, "IN-1")
    assert first.json()["join_url"].startswith("https://video.hospital.test/r/")
    assert first.json()["join_url"].endswith("?lang=zh")
    assert _visit(desk, "IN-2").json()["code"] == "ward_window_full"


@pytest.mark.parametrize(
    ("patient", "code"),
    [("NOBODY", "unknown_patient"), ("OUT-1", "not_inpatient"), ("IN-NOWARD", "no_ward")],
)
def test_only_known_inpatients_with_a_ward(visits, patient, code):
    r = _visit(visits, patient)
    assert r.status_code == 422 and r.json()["code"] == code


@pytest.mark.parametrize(
    ("hh", "mm", "days", "code"),
    [(6, 0, 0, "visit_in_past"), (15, 0, 31, "beyond_booking_horizon")],
)
def test_visit_times_out_of_range(visits, hh, mm, days, code):
    r = _visit(visits, start=local(visits.today + timedelta(days=days), hh, mm).isoformat())
    assert r.status_code == 422 and r.json()["code"] == code


def _raise(exc):
    def handler(request):
        raise exc(request=request, message="boom")

    return handler


FAULTS = {
    "connection refused": _raise(httpx.ConnectError),
    "timeout": _raise(httpx.ReadTimeout),
    "server error": lambda r: httpx.Response(500, text="oops"),
    "bad gateway": lambda r: httpx.Response(502),
    "refused our token": lambda r: httpx.Response(401, json={"code": "unauthorized"}),
    "not json": lambda r: httpx.Response(200, text="<html>"),
    "a list": lambda r: httpx.Response(200, json=[PERSONS["IN-1"]]),
    "category missing": lambda r: httpx.Response(200, json={"ward": "W3"}),
    "ward not text": lambda r: httpx.Response(200, json={"category": "inpatient", "ward": 7}),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_screening_faults_are_503_and_book_nothing(desk, fault):
    _use_screening(desk, FAULTS[fault])
    r = _visit(desk, key="fault-key")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "screening_unavailable"
    _use_screening(desk, _registry([]))
    listed = desk.client.get("/virtual-visits", headers=desk.headers("nurse")).json()
    assert listed["items"] == []
    assert _visit(desk, key="fault-key").status_code == 201  # the key was not used up


def test_idempotent_retry_replays_the_visit(visits):
    first = _visit(visits, key="v-1")
    again = _visit(visits, key="v-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(visits.seen) == 1  # the replay did not ask the screening service again
    changed = _visit(visits, key="v-1", visitor_name="Someone Else")
    assert changed.status_code == 422


@pytest.mark.parametrize(
    "over",
    [
        {"visitor_phone": "abc"},
        {"visitor_name": ""},
        {"start": "2030-01-01T10:00:00"},
        {"join_url": "https://evil.test"},
        {"ward": "W1"},
        {"patient_external_id": "../../admin"},
    ],
)
def test_invalid_visit_bodies_are_422(visits, over):
    assert _visit(visits, **over).status_code == 422
