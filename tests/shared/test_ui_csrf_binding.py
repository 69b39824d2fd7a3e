"""CSRF: the token is bound to the signed-in session, and cookie-only API writes need it."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from shared.auth import SESSION_COOKIE
from tests.shared.test_ui_pages import (
    HTML,
    PASSWORDS,
    csrf_of,
    sign_in,
)

TZ = ZoneInfo("Asia/Shanghai")
PERSON = {
    "external_id": "P-CSRF",
    "name": "Li Lei",
    "category": "outpatient",
    "department": "resp",
    "ward": "",
    "admitted_at": "",
    "patient_external_id": "",
    "phone": "",
    "id_number": "",
}


def denials(client, idp) -> list[tuple[str, str, str]]:
    """(actor, resource, outcome) of the service's denied-request audit rows."""
    jar = dict(client.cookies)
    client.cookies.clear()
    try:
        rows = client.get("/audit?limit=500", headers=idp.headers("auditor")).json()["items"]
    finally:
        for name, value in jar.items():
            client.cookies.set(name, value)
    return [(r["actor"], r["resource"], r["outcome"]) for r in rows if r["action"] == "auth.denied"]


def test_an_anonymous_token_pair_does_not_work_with_a_victim_session(make_client, idp):
    client = make_client("screening")
    attacker_token = csrf_of(client.get("/ui/").text)  # with its CSRF cookie, now in the jar
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="victim"))
    forged = client.post(
        "/ui/persons", data={**PERSON, "csrf_token": attacker_token}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    assert forged.json()["type"] == "urn:wardgate:problem:csrf_failed"
    jar = dict(client.cookies)
    client.cookies.clear()
    missing = client.get("/persons/P-CSRF", headers=idp.headers("nurse"))
    assert missing.status_code == 404  # nothing was written as the victim
    for name, value in jar.items():
        client.cookies.set(name, value)
    assert ("victim", "POST /ui/persons", "forbidden") in denials(client, idp)

    # The victim's own page gives a token bound to her session: that one works.
    own = csrf_of(client.get("/ui/", headers=HTML).text)
    assert own != attacker_token
    saved = client.post("/ui/persons", data={**PERSON, "csrf_token": own}, follow_redirects=False)
    assert saved.status_code == 303


def test_a_session_token_of_one_session_does_not_fit_another(make_client, idp):
    client = make_client("screening")
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="attacker"))
    attacker_token = csrf_of(client.get("/ui/").text)
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="victim"))
    forged = client.post("/ui/persons", data={**PERSON, "csrf_token": attacker_token}, headers=HTML)
    assert forged.status_code == 403


@pytest.fixture
def booked(make_client, idp):
    """An appointments client and one booked appointment's id."""
    client = make_client("appointments", wardgate_timezone="Asia/Shanghai")
    today = datetime.now(TZ).date()
    client.app.state.clock = lambda: datetime.combine(today, time(7), tzinfo=TZ)
    department = {
        "name": "Respiratory outpatients",
        "slot_minutes": 15,
        "capacity_per_slot": 3,
        "opens": "08:00",
        "closes": "12:00",
        "booking_days_ahead": 7,
    }
    put = client.put("/departments/RESP", json=department, headers=idp.headers("admin"))
    assert put.status_code == 201, put.text
    start = datetime.combine(today, time(9), tzinfo=TZ)
    body = {
        "department": "RESP",
        "patient_external_id": "P-77",
        "patient_name": "Li Wei",
        "slot_start": start.isoformat(),
    }
    made = client.post("/appointments", json=body, headers=idp.headers("nurse"))
    assert made.status_code == 201, made.text
    return client, made.json()["id"]


def status_of(client, idp, appointment_id) -> str:
    jar = dict(client.cookies)
    client.cookies.clear()
    try:
        return client.get(f"/appointments/{appointment_id}", headers=idp.headers("nurse")).json()[
            "status"
        ]
    finally:
        for name, value in jar.items():
            client.cookies.set(name, value)


def test_a_cookie_alone_cannot_cancel_an_appointment(booked, idp):
    client, appointment_id = booked
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="victim"))
    forged = client.post(
        f"/appointments/{appointment_id}/cancel", headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    problem = forged.json()
    assert problem["type"] == "urn:wardgate:problem:csrf_failed"
    assert "X-CSRF-Token" in problem["detail"]
    assert status_of(client, idp, appointment_id) == "booked"
    resource = f"POST /appointments/{appointment_id}/cancel"
    assert ("victim", resource, "forbidden") in denials(client, idp)

    # A forged header is refused as well; the session's own token (from its page) works.
    bad = client.post(f"/appointments/{appointment_id}/cancel", headers={"X-CSRF-Token": "x"})
    assert bad.status_code == 403
    token = csrf_of(client.get("/ui/").text)
    done = client.post(f"/appointments/{appointment_id}/cancel", headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_reads_by_cookie_and_writes_by_bearer_need_no_csrf_token(booked, idp):
    client, appointment_id = booked
    client.cookies.set(SESSION_COOKIE, idp.token("nurse", sub="n-1"))
    assert client.get(f"/appointments/{appointment_id}").status_code == 200
    # An Authorization header is not sent by a browser on its own: no CSRF token needed.
    done = client.post(f"/appointments/{appointment_id}/cancel", headers=idp.headers("nurse"))
    assert done.status_code == 200


def test_a_sign_in_with_a_bad_csrf_token_is_audited(ui_client, idp):
    client = ui_client("screening")
    client.get("/ui/")
    form = {"username": "nurse", "password": PASSWORDS["nurse"], "csrf_token": "forged"}
    refused = client.post("/ui/login", data=form, headers=HTML)
    assert refused.status_code == 403
    assert ("anonymous", "POST /ui/login", "forbidden") in denials(client, idp)
    assert sign_in(client, "nurse", PASSWORDS["nurse"]).status_code == 303


def test_signing_in_gives_a_new_token_bound_to_the_new_session(ui_client):
    client = ui_client("screening")
    anonymous = csrf_of(client.get("/ui/").text)
    assert sign_in(client, "nurse", PASSWORDS["nurse"]).status_code == 303
    signed_in = csrf_of(client.get("/ui/").text)
    assert signed_in != anonymous
    refused = client.post("/ui/logout", data={"csrf_token": anonymous}, headers=HTML)
    assert refused.status_code == 403 and SESSION_COOKIE in client.cookies
