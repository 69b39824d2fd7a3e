"""The auditors' side: lists, CSV export, the compliance report, the audit trail, roles and
hostile input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from services.discharge.discharges.repository import add_discharge
from services.discharge.models import Discharge
from shared.db import make_engine

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the .timeout")


def _seed_history(gate):
    """Two discharged (resp, icu), one blocked, one exception."""
    gate.ward.clean_patient("A-1")
    gate.ward.clean_patient("A-2", department="icu")
    gate.ward.person("A-3")
    gate.ward.person("A-4", department="icu")
    nurse, ic = gate.as_("nurse"), gate.as_("infection_control")
    for pid, disposition, headers, extra in [
        ("A-1", "home", nurse, {}),
        ("A-2", "transfer", nurse, {}),
        ("A-3", "home", nurse, {}),
        ("A-4", "death", ic, {"reason": '=HYPERLINK("http://x")'}),
    ]:
        body = {"patient_external_id": pid, "disposition": disposition, **extra}
        gate.discharge.post("/discharges", json=body, headers=headers)


def test_list_filters_and_pages(gate):
    _seed_history(gate)
    auditor = gate.as_("auditor")
    everything = gate.discharge.get("/discharges", headers=auditor).json()
    assert [i["outcome"] for i in everything["items"]] == [
        "discharged",
        "discharged",
        "blocked",
        "exception",
    ]
    assert everything["next_cursor"] is None
    icu = gate.discharge.get("/discharges", params={"department": "icu"}, headers=auditor)
    assert {i["patient_external_id"] for i in icu.json()["items"]} == {"A-2", "A-4"}
    blocked = gate.discharge.get("/discharges", params={"outcome": "blocked"}, headers=auditor)
    assert [i["patient_external_id"] for i in blocked.json()["items"]] == ["A-3"]

    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = gate.discharge.get("/discharges", params=params, headers=auditor).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything["items"]]

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = gate.discharge.get("/discharges", params={"from": future}, headers=auditor)
    assert later.json()["items"] == []
    until_now = gate.discharge.get("/discharges", params={"to": future}, headers=auditor)
    assert len(until_now.json()["items"]) == 4


def test_csv_streams_every_matching_row(gate):
    _seed_history(gate)
    r = gate.discharge.get(
        "/discharges", params={"limit": 1}, headers={**gate.as_("auditor"), "Accept": "text/csv"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["patient_external_id"] for row in rows] == ["A-1", "A-2", "A-3", "A-4"]
    assert rows[0]["outcome"] == "discharged"
    assert rows[0]["evidence"].count("negative") == 3
    assert rows[2]["reasons"] == "missing;missing;missing"
    assert rows[3]["reason"].startswith("'=")  # no formula reaches a spreadsheet
    only_icu = gate.discharge.get(
        "/discharges",
        params={"department": "icu"},
        headers={**gate.as_("admin"), "Accept": "text/csv"},
    )
    assert len(list(csv.DictReader(io.StringIO(only_icu.text)))) == 2


def test_compliance_report(gate):
    _seed_history(gate)
    r = gate.discharge.get("/compliance/discharges", headers=gate.as_("auditor"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total"] == 4
    assert (report["discharged"], report["exceptions"], report["blocked_attempts"]) == (2, 1, 1)
    assert report["discharged_without_evidence"] == 0
    departments = {d["department"]: d for d in report["by_department"]}
    assert departments["icu"]["discharged"] == 1
    assert departments["icu"]["exceptions"] == 1
    assert departments["resp"]["blocked_attempts"] == 1
    assert sum(d["total"] for d in report["by_day"]) == 4
    today = datetime.now(UTC).astimezone(gate.discharge.app.state.settings.timezone).date()
    assert report["by_day"][-1]["day"] == today.isoformat()
    empty = gate.discharge.get(
        "/compliance/discharges",
        params={"from": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        headers=gate.as_("infection_control"),
    ).json()
    assert (empty["total"], empty["by_department"], empty["by_day"]) == (0, [], [])


def test_a_discharge_without_evidence_would_be_found(gate, database_url):
    """Simulate a bypass of the gate (a row written past the API): the report finds it."""
    _seed_history(gate)
    engine = make_engine(database_url("discharge"))
    with Session(engine) as session:
        evidence = [
            {
                "result_external_id": "only-igm",
                "version": 1,
                "test_type": "antibody_igm",
                "result": "negative",
                "status": "final",
                "specimen_collected_at": datetime.now(UTC).isoformat(),
                "used_as": "counting",
            }
        ]
        for pid, items in (("B-1", []), ("B-2", evidence)):
            add_discharge(
                session,
                Discharge(
                    patient_external_id=pid,
                    admission_key="x",
                    disposition="home",
                    outcome="discharged",
                    reasons=[],
                    evidence=items,
                    rule_version="none",
                    actor="intruder",
                    created_at=datetime.now(UTC),
                    hospital_day=date.today(),
                ),
            )
        session.commit()
    engine.dispose()
    report = gate.discharge.get("/compliance/discharges", headers=gate.as_("admin")).json()
    assert report["discharged_without_evidence"] == 2
    assert report["discharged"] == 4


def test_stored_attempts_cannot_be_changed(gate, database_url):
    _seed_history(gate)
    gate.discharge.post(
        "/discharge-checks", json={"patient_external_id": "A-1"}, headers=gate.as_("nurse")
    )
    engine = make_engine(database_url("discharge"))
    for statement in (
        "UPDATE discharge SET outcome = 'discharged'",
        "DELETE FROM discharge_evidence",
        "UPDATE discharge_check SET eligible = true",
    ):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_every_check_attempt_and_read_is_audited(gate):
    _seed_history(gate)
    gate.discharge.post(
        "/discharge-checks", json={"patient_external_id": "A-3"}, headers=gate.as_("doctor")
    )
    auditor = gate.as_("auditor")
    first = gate.discharge.get("/discharges", headers=auditor).json()["items"][0]
    gate.discharge.get(f"/discharges/{first['id']}", headers=auditor)
    gate.discharge.get("/discharges", headers={**auditor, "Accept": "text/csv"})
    gate.discharge.get("/compliance/discharges", headers=auditor)
    rows = gate.discharge.get("/audit", params={"limit": 500}, headers=auditor).json()["items"]
    actions = [(r["action"], r["outcome"]) for r in rows]
    assert actions.count(("discharge.attempt", "discharged")) == 2
    assert ("discharge.attempt", "blocked:not_eligible") in actions
    assert ("discharge.attempt", "exception") in actions
    assert ("discharge.check", "not_eligible") in actions
    for action in ("discharge.list", "discharge.read", "discharge.export", "compliance.read"):
        assert action in {a for a, _ in actions}
    assert all("Zhang" not in r["detail"] for r in rows)


READS = ["/discharges", "/discharges/1", "/compliance/discharges"]


@pytest.mark.parametrize("role", ["integration", "nurse", "doctor"])
def test_reports_are_for_infection_control_auditors_and_admins(gate, role):
    for path in READS:
        assert gate.discharge.get(path, headers=gate.as_(role)).status_code == 403
    for path in READS[::2]:
        assert gate.discharge.get(path, headers=gate.as_("infection_control")).status_code == 200


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_never_write(gate, role):
    gate.ward.clean_patient("C-1")
    headers = gate.as_(role)
    check = {"patient_external_id": "C-1"}
    assert gate.discharge.post("/discharge-checks", json=check, headers=headers).status_code == 403
    body = {**check, "disposition": "home"}
    assert gate.discharge.post("/discharges", json=body, headers=headers).status_code == 403


def test_no_token_is_401(gate):
    assert gate.discharge.post("/discharge-checks", json={}).status_code == 401
    assert gate.discharge.get("/discharges").status_code == 401


HOSTILE_BODIES = [
    {"patient_external_id": "P\x00-1"},
    {"patient_external_id": "x" * 65},
    {"patient_external_id": ""},
    {"patient_external_id": 12},
    {"patient_external_id": "P-1", "id": 7},
    {"patient_external_id": "P-1", "eligible": True},
    {},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_check_bodies_are_422(gate, body):
    r = gate.discharge.post("/discharge-checks", json=body, headers=gate.as_("nurse"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "extra",
    [
        {"disposition": "escaped"},
        {"disposition": "home", "outcome": "discharged"},
        {"disposition": "home", "evidence": []},
        {"disposition": "death", "reason": "x" * 2001},
        {"disposition": "death", "reason": "a\x00b"},
    ],
)
def test_hostile_discharge_bodies_are_422(gate, extra):
    body = {"patient_external_id": "P-1", **extra}
    r = gate.discharge.post("/discharges", json=body, headers=gate.as_("infection_control"))
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/discharges/abc", {}, 422),
        ("/discharges/0", {}, 422),
        ("/discharges/99999999999999999999999", {}, 422),
        ("/discharges/424242", {}, 404),
        ("/discharges", {"cursor": "%%%"}, 422),
        ("/discharges", {"cursor": "eyJpZCI6ICJ4In0"}, 422),
        ("/discharges", {"cursor": "W10"}, 422),
        ("/discharges", {"outcome": "lost"}, 422),
        ("/discharges", {"from": "2026-11-01T08:00:00"}, 422),
        ("/discharges", {"department": "d" * 201}, 422),
        ("/discharges", {"limit": 0}, 422),
        ("/discharges", {"limit": 100000}, 200),
        ("/compliance/discharges", {"to": "yesterday"}, 422),
    ],
)
def test_hostile_queries(gate, path, params, status):
    r = gate.discharge.get(path, params=params, headers=gate.as_("auditor"))
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.headers["content-type"] == "application/problem+json"


def test_idempotency_key_too_long_is_422(gate):
    headers = {**gate.as_("nurse"), "Idempotency-Key": "k" * 256}
    body = {"patient_external_id": "P-1", "disposition": "home"}
    assert gate.discharge.post("/discharges", json=body, headers=headers).status_code == 422


def test_every_route_is_documented(gate):
    paths = gate.discharge.get("/openapi.json").json()["paths"]
    for path in ("/discharge-checks", "/discharges", "/discharges/{discharge_id}"):
        for operation in paths[path].values():
            assert operation["summary"] and operation["description"], path
    assert "text/csv" in paths["/discharges"]["get"]["responses"]["200"]["content"]
    assert "Roles" in paths["/compliance/discharges"]["get"]["description"]
