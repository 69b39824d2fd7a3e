"""Races on PostgreSQL against live services: requests released together, rows counted.

Complements the races each service already proves (tests/appointments/test_concurrency.py:
sixty clients for three places, one key retried twenty times at once, one patient booking ten
slots at once; tests/screening/test_concurrency.py: identical result posts store one row,
concurrent corrections, identical batches; tests/discharge/test_live_gate.py: simultaneous
discharges of one admission). Here: idempotency keys in flight on discharges and virtual
visits, the ward's virtual-visit window, reschedules racing for the last place, a cancel racing
the bookings that want its place, identical person registrations and HL7 messages.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.discharge.conftest import Ward, ago
from tests.reliability import figures
from tests.reliability.races import codes, count, statuses, together

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")
CLIENTS = 12


@pytest.fixture(autouse=True)
def _on_postgresql(backend):
    if backend != "postgresql":
        pytest.skip("races are proven on PostgreSQL (TEST_DATABASE_URL, as in CI)")


def _tomorrow_at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(datetime.now(TZ).date() + timedelta(days=1), time(hh, mm), tzinfo=TZ)


@pytest.fixture
def gate(live, idp):
    screening = live("screening")
    discharge = live("discharge", SCREENING_URL=screening.url)
    with httpx.Client(base_url=screening.url, timeout=10) as http:
        yield discharge, Ward(http, idp)


def _one_idempotency_key_in_flight_discharges_once(gate, idp, database_url):
    discharge, ward = gate
    ward.clean_patient("R-1")
    headers = {**idp.headers("nurse", sub="nurse-r"), "Idempotency-Key": "discharge-r-1"}
    body = {"patient_external_id": "R-1", "disposition": "home"}
    answers = together(
        CLIENTS, lambda c, _i: c.post(f"{discharge.url}/discharges", json=body, headers=headers)
    )
    figures.record("races/discharge idempotency key in flight")
    assert statuses(answers) == {201: CLIENTS}, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    url = database_url("discharge")
    mine = "FROM discharge WHERE patient_external_id = 'R-1'"
    assert count(url, f"SELECT count(*) {mine}") == 1
    assert count(url, "SELECT count(*) FROM idempotency_key WHERE key = 'discharge-r-1'") == 1
    evidence = f"SELECT count(*) FROM discharge_evidence WHERE discharge_id IN (SELECT id {mine})"
    assert count(url, evidence) == 3


def _one_key_with_two_bodies_in_flight_discharges_once(gate, idp, database_url):
    discharge, ward = gate
    ward.clean_patient("R-2")
    headers = {**idp.headers("nurse", sub="nurse-r"), "Idempotency-Key": "discharge-r-2"}

    def send(c: httpx.Client, i: int) -> httpx.Response:
        body = {"patient_external_id": "R-2", "disposition": ("home", "transfer")[i % 2]}
        return c.post(f"{discharge.url}/discharges", json=body, headers=headers)

    answers = together(CLIENTS, send)
    figures.record("races/discharge one key two bodies")
    created = [r for r in answers if r.status_code == 201]
    assert created and len({r.json()["id"] for r in created}) == 1
    winner = created[0].json()["disposition"]
    for r in answers:
        if r.status_code != 201:
            assert r.status_code == 422, r.text  # the key was used with the other body
    assert all(r.json()["disposition"] == winner for r in created)
    mine = "SELECT count(*) FROM discharge WHERE patient_external_id = 'R-2'"
    assert count(database_url("discharge"), mine) == 1


@pytest.fixture
def desk(live, idp):
    screening = live("screening")
    appointments = live(
        "appointments", SCREENING_URL=screening.url, WARDGATE_TIMEZONE="Asia/Shanghai"
    )
    with httpx.Client(base_url=screening.url, timeout=10) as http:
        ward = Ward(http, idp)
        r = httpx.put(
            f"{appointments.url}/departments/RACE",
            json={"name": "Race", "capacity_per_slot": 1, "slot_minutes": 15},
            headers=idp.headers("admin"),
        )
        assert r.status_code == 201, r.text
        yield appointments, ward


def _visit(patient: str, start: datetime) -> dict:
    return {
        "patient_external_id": patient,
        "visitor_name": "Wang Min",
        "visitor_phone": "+86 139 1234 5678",
        "start": start.isoformat(),
    }


def _the_ward_window_never_takes_more_visits_than_it_has(desk, idp, database_url):
    appointments, ward = desk
    for i in range(CLIENTS):
        ward.person(f"V-{i}", ward="W9")
    start = _tomorrow_at(15, 5)
    nurse = idp.headers("nurse")
    answers = together(
        CLIENTS,
        lambda c, i: c.post(
            f"{appointments.url}/virtual-visits", json=_visit(f"V-{i}", start), headers=nurse
        ),
    )
    figures.record("races/virtual visits for one ward window")
    assert statuses(answers) == {201: 2, 409: CLIENTS - 2}, [r.text for r in answers]
    assert codes(answers) == {"ward_window_full"}
    visits = "SELECT count(*) FROM virtual_visit WHERE ward = 'W9'"
    assert count(database_url("appointments"), visits) == 2


def _one_key_in_flight_books_one_virtual_visit(desk, idp, database_url):
    appointments, ward = desk
    ward.person("V-K", ward="W8")
    headers = {**idp.headers("integration"), "Idempotency-Key": "visit-k"}
    body = _visit("V-K", _tomorrow_at(16, 10))
    answers = together(
        CLIENTS,
        lambda c, _i: c.post(f"{appointments.url}/virtual-visits", json=body, headers=headers),
    )
    figures.record("races/virtual visit idempotency key in flight")
    assert statuses(answers) == {201: CLIENTS}, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    visits = "SELECT count(*) FROM virtual_visit WHERE ward = 'W8'"
    assert count(database_url("appointments"), visits) == 1


def _book(url: str, headers: dict, patient: str, start: datetime) -> dict:
    body = {
        "department": "RACE",
        "patient_external_id": patient,
        "patient_name": "Patient",
        "slot_start": start.isoformat(),
    }
    r = httpx.post(f"{url}/appointments", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _reschedules_racing_for_the_last_place(desk, idp, database_url):
    appointments, _ward = desk
    nurse = idp.headers("nurse")
    booked = [
        _book(appointments.url, nurse, f"RS-{i}", _tomorrow_at(8) + timedelta(minutes=15 * i))
        for i in range(8)
    ]
    target = _tomorrow_at(16)
    answers = together(
        len(booked),
        lambda c, i: c.post(
            f"{appointments.url}/appointments/{booked[i]['id']}/reschedule",
            json={"slot_start": target.isoformat()},
            headers=nurse,
        ),
    )
    figures.record("races/reschedules for the last place")
    assert statuses(answers) == {201: 1, 409: len(booked) - 1}, [r.text for r in answers]
    assert codes(answers) == {"slot_full"}
    url = database_url("appointments")
    mine = "FROM appointment WHERE patient_external_id LIKE 'RS-%'"
    assert count(url, f"SELECT count(*) {mine} AND status = 'booked'") == len(booked)
    assert count(url, f"SELECT count(*) {mine}") == len(booked) + 1  # losers kept theirs
    assert count(url, "SELECT count(*) FROM slot WHERE booked > capacity") == 0
    _booked_counters_match(url)


def _a_cancel_racing_bookings_for_its_place(desk, idp, database_url):
    appointments, _ward = desk
    nurse = idp.headers("nurse")
    start = _tomorrow_at(11)
    held = _book(appointments.url, nurse, "CX-0", start)

    def send(c: httpx.Client, i: int) -> httpx.Response:
        if i == 0:
            return c.post(f"{appointments.url}/appointments/{held['id']}/cancel", headers=nurse)
        body = {
            "department": "RACE",
            "patient_external_id": f"CX-{i}",
            "patient_name": "Patient",
            "slot_start": start.isoformat(),
        }
        return c.post(f"{appointments.url}/appointments", json=body, headers=nurse)

    answers = together(CLIENTS, send)
    figures.record("races/cancel against bookings")
    assert answers[0].status_code == 200, answers[0].text
    won = [r for r in answers[1:] if r.status_code == 201]
    assert len(won) <= 1
    assert all(r.status_code in (201, 409) for r in answers[1:]), [r.text for r in answers]
    url = database_url("appointments")
    mine = "FROM appointment WHERE patient_external_id LIKE 'CX-%' AND status = 'booked'"
    assert count(url, f"SELECT count(*) {mine}") == len(won)
    _booked_counters_match(url)


def _booked_counters_match(url: str) -> None:
    """Every slot's `booked` counter equals the appointments holding it (only a cancel or a
    reschedule gives a place back), however the race went."""
    drift = (
        "SELECT count(*) FROM slot s WHERE s.booked <> (SELECT count(*) FROM appointment a"
        " WHERE a.slot_id = s.id AND a.status NOT IN ('cancelled', 'rescheduled'))"
    )
    assert count(url, drift) == 0


def test_discharge_races(gate, idp, database_url):
    """Idempotency keys in flight (one body, two bodies) and checks racing a correction."""
    _one_idempotency_key_in_flight_discharges_once(gate, idp, database_url)
    _one_key_with_two_bodies_in_flight_discharges_once(gate, idp, database_url)
    _a_check_racing_a_correction_sees_one_or_the_other(gate, idp, database_url)


def test_booking_races(desk, idp, database_url):
    """The ward's visit window, a visit key in flight, reschedules and a cancel racing."""
    _the_ward_window_never_takes_more_visits_than_it_has(desk, idp, database_url)
    _one_key_in_flight_books_one_virtual_visit(desk, idp, database_url)
    _reschedules_racing_for_the_last_place(desk, idp, database_url)
    _a_cancel_racing_bookings_for_its_place(desk, idp, database_url)


def test_identical_registrations_and_hl7_messages_store_once(live, idp, database_url):
    from tests.feeds.conftest import naat_oru

    screening = live("screening")
    headers = idp.headers("integration")
    person = {"name": "Zhang San", "category": "inpatient", "department": "resp", "ward": "W1"}
    answers = together(
        CLIENTS,
        lambda c, _i: c.put(f"{screening.url}/persons/HL7-1", json=person, headers=headers),
    )
    figures.record("races/identical person registrations")
    assert statuses(answers) == {200: CLIENTS - 1, 201: 1}, [r.text for r in answers]
    url = database_url("screening")
    assert count(url, "SELECT count(*) FROM person") == 1

    message = naat_oru("HL7-1", control="RACE-CTL-1", accession="RACE-ACC-1")
    hl7 = {**headers, "Content-Type": "application/hl7-v2"}
    answers = together(
        CLIENTS, lambda c, _i: c.post(f"{screening.url}/hl7/v2", content=message, headers=hl7)
    )
    figures.record("races/identical HL7 messages")
    assert statuses(answers) == {200: CLIENTS}
    assert all("MSA|AA" in r.text for r in answers), [r.text for r in answers]
    assert count(url, "SELECT count(*) FROM screening_result") == 1
    assert count(url, "SELECT count(*) FROM alert_outbox") == 0  # a negative alerts no one


def _a_check_racing_a_correction_sees_one_or_the_other(gate, idp, database_url):
    """A discharge check while the nucleic acid result is corrected to positive: the stored
    evidence is what the check saw, and a discharge after the correction is blocked."""
    discharge, ward = gate
    ids = ward.clean_patient("R-3")
    nurse = idp.headers("nurse")

    def send(c: httpx.Client, i: int) -> httpx.Response:
        if i == 0:
            body = {
                "external_id": ids["nucleic_acid"],
                "person_external_id": "R-3",
                "test_type": "nucleic_acid",
                "result": "positive",
                "status": "corrected",
                "specimen_collected_at": ago(hours=1),
            }
            return c.post(f"{ward.screening.base_url}/results", json=body, headers=ward.headers)
        return c.post(
            f"{discharge.url}/discharge-checks", json={"patient_external_id": "R-3"}, headers=nurse
        )

    answers = together(8, send)
    figures.record("races/checks against a correction")
    assert answers[0].status_code == 201, answers[0].text
    for r in answers[1:]:
        assert r.status_code == 200, r.text
        seen = {e["test_type"]: e["result"] for e in r.json()["evidence"]}
        assert r.json()["eligible"] == (seen.get("nucleic_acid") == "negative")
    after = httpx.post(
        f"{discharge.url}/discharges",
        json={"patient_external_id": "R-3", "disposition": "home"},
        headers=nurse,
    )
    assert after.status_code == 409 and "positive" in {x["code"] for x in after.json()["reasons"]}
    checks = "SELECT count(*) FROM discharge_check WHERE patient_external_id = 'R-3'"
    assert count(database_url("discharge"), checks) == 7
