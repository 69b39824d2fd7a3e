"""GET /persons/{id}/exposures against the real appointments app (in process, clock set)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

# Two days ago at 10:00 UTC: inside the default window, and every offset used stays in one day.
BASE = (datetime.now(UTC) - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def test_same_department_visits_within_two_hours_inclusive(hospital):
    for p in ("A", "B", "C", "D", "E", "F", "G"):
        hospital.person(p)
    hospital.visit("A", at(0))
    hospital.visit("B", at(60))  # an hour after
    hospital.visit("C", at(120))  # exactly two hours after: inclusive
    hospital.visit("D", at(121))  # a minute too late
    hospital.visit("E", at(-120))  # two hours before
    hospital.visit("F", at(-180))  # three hours before
    hospital.visit("G", at(30), department="ICU")  # another department
    listed = hospital.listed("A")
    assert sorted(listed) == ["B", "C", "E"]
    assert listed["B"]["why"] == ["same_department_visit"]
    # The contact starts at the later of the two check-ins.
    assert datetime.fromisoformat(listed["B"]["when"]) == at(60)
    assert datetime.fromisoformat(listed["E"]["when"]) == at(0)
    assert "A" in hospital.listed("B")  # on each other's list
    assert "A" not in hospital.listed("F")


def test_every_check_in_outcome_counts_and_strangers_are_unregistered(hospital):
    hospital.person("A")
    hospital.visit("A", at(0))
    hospital.visit("FEVER", at(10), temperature_c=38.4)  # redirected to the fever clinic
    hospital.visit("NOMASK", at(20), mask=False)  # refused at the door
    listed = hospital.listed("A")
    assert sorted(listed) == ["FEVER", "NOMASK"]
    assert listed["FEVER"] == {
        "external_id": "FEVER",
        "name": "Visitor FEVER",
        "category": None,
        "why": ["same_department_visit"],
        "when": listed["FEVER"]["when"],
        "status": "unregistered",
        "lacking": None,
        "visit_outcomes": ["redirected_fever_clinic"],  # what the door decided at that visit
        "phone": None,
    }


def test_ward_mates_caregivers_and_escorted_patients(hospital):
    admitted = (BASE - timedelta(days=30)).isoformat()
    hospital.person("IN1", "inpatient", ward="W1", admitted_at=admitted)
    hospital.person("IN2", "inpatient", ward="W1", admitted_at=admitted)
    hospital.person("NURSE1", "staff", ward="W1")
    hospital.person("IN3", "inpatient", ward="W2", admitted_at=admitted)
    hospital.person("OUT1", "outpatient", ward="W1")  # not on the ward: not a ward mate
    hospital.person("CG1", "caregiver", patient_external_id="IN1")
    hospital.person("CG2", "caregiver", patient_external_id="IN2")
    listed = hospital.listed("IN1")
    assert {k: v["why"] for k, v in listed.items()} == {
        "IN2": ["same_ward"],
        "NURSE1": ["same_ward"],
        "CG1": ["caregiver"],
    }
    assert {k: v["why"] for k, v in hospital.listed("CG1").items()} == {"IN1": ["escorted_patient"]}
    assert {k: v["why"] for k, v in hospital.listed("NURSE1").items()} == {
        "IN1": ["same_ward"],
        "IN2": ["same_ward"],
    }


def test_one_entry_per_person_with_every_reason_and_the_earliest_contact(hospital):
    admitted = (BASE - timedelta(days=1)).isoformat()
    hospital.person("IN1", "inpatient", ward="W1", admitted_at=admitted)
    hospital.person("IN2", "inpatient", ward="W1", admitted_at=admitted)
    hospital.visit("IN1", at(0))
    hospital.visit("IN2", at(30))
    r = hospital.exposures("IN1")
    items = r.json()["items"]
    assert [i["external_id"] for i in items] == ["IN2"]
    assert items[0]["why"] == ["same_department_visit", "same_ward"]
    # On the ward together since the later admission, which is before the visit.
    assert datetime.fromisoformat(items[0]["when"]) == BASE - timedelta(days=1)


def test_status_compliant_noncompliant_with_what_is_lacking(hospital):
    hospital.person("IN1", "inpatient", ward="W1")
    hospital.person("IN2", "inpatient", ward="W1")
    hospital.person("OUT1")
    hospital.visit("IN1", at(0))
    hospital.visit("OUT1", at(5))
    specimen = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = hospital.screening.post(
        "/results",
        json={
            "external_id": "R1",
            "person_external_id": "IN2",
            "test_type": "nucleic_acid",
            "result": "negative",
            "status": "final",
            "specimen_collected_at": specimen,
        },
        headers=hospital.headers("nurse"),
    )
    assert r.status_code == 201, r.text
    listed = hospital.listed("IN1")
    assert listed["OUT1"]["status"] == "compliant" and listed["OUT1"]["lacking"] is None
    assert listed["IN2"]["status"] == "noncompliant"
    assert listed["IN2"]["lacking"] == [
        {"test_type": t, "state": "missing"}
        for t in ("antibody_igm", "antibody_igg", "chest_ct", "blood_routine")
    ]


def _positive(hospital, person, days_ago, ext="POS1", status="final"):
    body = {
        "external_id": ext,
        "person_external_id": person,
        "test_type": "nucleic_acid",
        "result": "positive",
        "status": status,
        "specimen_collected_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }
    r = hospital.screening.post("/results", json=body, headers=hospital.headers("nurse"))
    assert r.status_code == 201, r.text
    return datetime.fromisoformat(body["specimen_collected_at"])


def test_window_opens_fourteen_days_before_the_first_positive(hospital):
    hospital.person("A")
    hospital.person("B")
    onset = _positive(hospital, "A", days_ago=5)
    early = (onset - timedelta(days=13)).replace(hour=9, minute=0, second=0, microsecond=0)
    hospital.visit("A", early)  # 18 days ago: outside the default window without the positive
    hospital.visit("B", early + timedelta(minutes=45))
    doc = hospital.exposures("A").json()
    assert datetime.fromisoformat(doc["index"]["first_positive_at"]) == onset
    assert datetime.fromisoformat(doc["from"]) == onset - timedelta(days=14)
    assert [i["external_id"] for i in doc["items"]] == ["B"]
    # An explicit window overrides the default.
    later = (early + timedelta(days=1)).isoformat()
    assert hospital.exposures("A", **{"from": later}).json()["items"] == []
    # B's own window has no positive: 14 days before now, which misses the visit.
    doc_b = hospital.exposures("B").json()
    assert doc_b["index"]["first_positive_at"] is None and doc_b["items"] == []


def test_the_list_is_a_csv_download(hospital):
    hospital.person("A")
    hospital.person("B", name="=HYPERLINK(1)")
    hospital.visit("A", at(0))
    hospital.visit("B", at(10))
    r = hospital.screening.get(
        "/persons/A/exposures",
        headers={**hospital.headers("doctor"), "Accept": "text/csv"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="exposures-A.csv"' in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff")  # a BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(r.text.removeprefix("\ufeff"))))
    assert [(x["external_id"], x["why"], x["status"]) for x in rows] == [
        ("B", "same_department_visit", "compliant")
    ]
    assert rows[0]["name"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("infection_control", 200),
        ("doctor", 200),
        ("admin", 200),
        ("nurse", 403),
        ("auditor", 403),
        ("integration", 403),
    ],
)
def test_who_may_read_exposures(hospital, role, status):
    hospital.person("A")
    assert hospital.exposures("A", role=role).status_code == status


def test_every_read_is_audited_without_names(hospital):
    hospital.person("A", name="Zhang San")
    hospital.person("B", name="Li Si")
    hospital.visit("A", at(0))
    hospital.visit("B", at(10))
    assert hospital.exposures("A").status_code == 200
    assert hospital.exposures("A", role="admin").status_code == 200
    trail = hospital.screening.get(
        "/audit", params={"action": "exposures.read"}, headers=hospital.headers("auditor")
    ).json()["items"]
    assert len(trail) == 2
    assert {row["resource"] for row in trail} == {"person/A"}
    assert "Li Si" not in str(trail) and "Zhang San" not in str(trail)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2030-01-01T00:00:00"}, 422),  # naive
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, 422),
        ({"from": "1900-01-01T00:00:00Z"}, 422),
        ({"from": "2020-01-01T00:00:00Z", "to": "2022-01-01T00:00:00Z"}, 422),  # > 366 days
        ({"from": "9999-12-31T23:59:59+14:00"}, 422),
        ({"to": "not a time"}, 422),
    ],
)
def test_bad_windows_are_refused(hospital, params, status):
    hospital.person("A")
    r = hospital.exposures("A", **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_unknown_person_is_404(hospital):
    r = hospital.exposures("NOBODY")
    assert r.status_code == 404 and r.json()["code"] == "unknown_person"
