"""A discharge reaches screening: `POST /admission-ends` applied once, then the person is no
inpatient of a ward (person read, compliance); a later admission opens a new one."""

from __future__ import annotations

from datetime import datetime

from tests.screening.conftest import ago

ADMITTED = "2026-11-01T00:00:00+00:00"


def end(screening, pid="IN1", discharge_id=7, admitted_at=ADMITTED, **over):
    body = {
        "discharge_id": discharge_id,
        "patient_external_id": pid,
        "admitted_at": admitted_at,
        "discharged_at": ago(hours=2),
        "disposition": "home",
        "outcome": "discharged",
        **over,
    }
    headers = screening.idp.headers("integration", sub="service:discharge-sync")
    return screening.client.post("/admission-ends", json=body, headers=headers)


def person(screening, pid="IN1"):
    r = screening.client.get(f"/persons/{pid}", headers=screening.nurse)
    assert r.status_code == 200, r.text
    return r.json()


def audit_rows(screening, action="admission.end"):
    r = screening.client.get(
        "/audit", params={"action": action}, headers=screening.idp.headers("auditor")
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_discharge_ends_the_admission_once_however_often_it_arrives(screening):
    screening.person("IN1", ward="W1", admitted_at=ADMITTED)
    before = person(screening)["admission"]
    assert before["discharged_at"] is None and before["disposition"] is None
    first = end(screening)
    assert first.status_code == 201, first.text
    again = end(screening)
    assert again.status_code == 200 and again.json() == first.json()
    admission = person(screening)["admission"]
    assert datetime.fromisoformat(admission["admitted_at"]) == datetime.fromisoformat(ADMITTED)
    assert admission["disposition"] == "home"
    assert datetime.fromisoformat(admission["discharged_at"]) == datetime.fromisoformat(
        first.json()["discharged_at"]
    )
    with_results = screening.client.get(
        "/persons/IN1", params={"include": "results"}, headers=screening.nurse
    ).json()
    assert with_results["admission"] == admission
    rows = audit_rows(screening)
    assert len(rows) == 1 and rows[0]["resource"] == "person/IN1"
    listed = screening.client.get("/persons", params={"ward": "W1"}, headers=screening.nurse)
    assert listed.json()["items"][0]["admission"]["disposition"] == "home"


def test_only_the_integration_role_may_end_an_admission(screening):
    screening.person("IN1", ward="W1", admitted_at=ADMITTED)
    body = {
        "discharge_id": 1,
        "patient_external_id": "IN1",
        "admitted_at": ADMITTED,
        "discharged_at": ago(hours=1),
        "disposition": "home",
        "outcome": "discharged",
    }
    r = screening.client.post("/admission-ends", json=body, headers=screening.nurse)
    assert r.status_code == 403
    assert person(screening)["admission"]["discharged_at"] is None
    unknown = end(screening, pid="NOBODY")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_person"


def test_a_later_admitted_at_opens_a_new_admission(screening):
    screening.person("IN1", ward="W1", admitted_at=ADMITTED)
    assert end(screening).status_code == 201
    screening.person("IN1", ward="W1", admitted_at=ADMITTED)  # the HIS sends it again
    assert person(screening)["admission"]["disposition"] == "home"
    later = "2026-12-01T00:00:00+00:00"
    screening.person("IN1", ward="W2", admitted_at=later)
    admission = person(screening)["admission"]
    assert admission["discharged_at"] is None and admission["disposition"] is None
    assert datetime.fromisoformat(admission["admitted_at"]) == datetime.fromisoformat(later)
    # An end of the earlier admission arriving late does not end the new one.
    assert end(screening, discharge_id=8, admitted_at=ADMITTED).status_code == 409
    assert end(screening, discharge_id=9, admitted_at=later).status_code == 201
    assert person(screening)["admission"]["disposition"] == "home"


def test_compliance_leaves_discharged_inpatients_out(screening):
    for pid in ("IN1", "IN2"):
        screening.person(pid, ward="W1", admitted_at=ADMITTED)
    assert end(screening, pid="IN1").status_code == 201
    r = screening.client.get(
        "/compliance", params={"category": "inpatient"}, headers=screening.nurse
    )
    assert r.status_code == 200, r.text
    assert [i["external_id"] for i in r.json()["items"]] == ["IN2"]
    r = screening.client.get(
        "/compliance",
        params={"category": "inpatient", "include_discharged": "true"},
        headers=screening.nurse,
    )
    assert r.status_code == 200, r.text
    assert [i["external_id"] for i in r.json()["items"]] == ["IN1", "IN2"]
