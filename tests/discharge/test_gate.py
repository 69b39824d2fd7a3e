"""The gate against the real screening service (in-process): checks, discharges, exceptions,
one discharge per admission, corrections and idempotency."""

from __future__ import annotations

import pytest

from tests.discharge.conftest import ago

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the .timeout")

GATED = ("nucleic_acid", "antibody_igm", "antibody_igg")


def _check(gate, pid, role="nurse"):
    r = gate.discharge.post(
        "/discharge-checks", json={"patient_external_id": pid}, headers=gate.as_(role)
    )
    assert r.status_code == 200, r.text
    return r.json()


def _discharge(gate, pid, disposition="home", role="nurse", **extra):
    body = {"patient_external_id": pid, "disposition": disposition, **extra}
    return gate.discharge.post("/discharges", json=body, headers=gate.as_(role))


def test_a_clean_patient_is_discharged_once_with_the_evidence_as_seen(gate):
    ids = gate.ward.clean_patient("P-100")
    check = _check(gate, "P-100")
    assert check["eligible"] is True
    assert check["reasons"] == []
    assert {e["result_external_id"] for e in check["evidence"]} == set(ids.values())
    assert check["rule_version"].startswith("discharge-rule/1")

    r = _discharge(gate, "P-100", role="doctor")
    assert r.status_code == 201, r.text
    discharged = r.json()
    assert discharged["outcome"] == "discharged"
    assert discharged["department"] == "resp"
    assert discharged["disposition"] == "home"
    evidence = {e["test_type"]: e for e in discharged["evidence"]}
    assert set(evidence) == set(GATED)
    for test_type, item in evidence.items():
        assert item["result_external_id"] == ids[test_type]
        assert item["result"] == "negative"
        assert item["status"] == "final"
        assert item["version"] == 1
        assert item["used_as"] == "counting"

    again = _discharge(gate, "P-100", disposition="transfer")
    assert again.status_code == 409
    assert again.json()["code"] == "already_discharged"
    assert again.json()["reasons"][0]["code"] == "already_discharged"

    stored = gate.discharge.get(
        f"/discharges/{discharged['id']}", headers=gate.as_("auditor")
    ).json()
    assert stored == discharged
    attempts = gate.discharge.get(
        "/discharges", params={"patient_external_id": "P-100"}, headers=gate.as_("auditor")
    ).json()["items"]
    assert [a["outcome"] for a in attempts] == ["discharged", "blocked"]


def _missing_igg(ward, pid):
    ward.person(pid)
    ward.result(pid, "nucleic_acid", "negative", ago(hours=1))
    ward.result(pid, "antibody_igm", "negative", ago(hours=1))


def _expired_after_a_void(ward, pid):
    ward.person(pid)
    ward.result(pid, "nucleic_acid", "negative", ago(hours=73))
    # the recent nucleic acid is voided, so the 73 h one counts
    void = ward.result(pid, "nucleic_acid", "negative", ago(hours=1))
    ward.result(pid, "nucleic_acid", "negative", ago(hours=1), "entered_in_error", void)
    ward.result(pid, "antibody_igm", "negative", ago(hours=1))
    ward.result(pid, "antibody_igg", "negative", ago(hours=1))


def _expired_simple(ward, pid):
    ward.person(pid)
    ward.result(pid, "nucleic_acid", "negative", ago(hours=72, seconds=60))
    ward.result(pid, "antibody_igm", "negative", ago(hours=1))
    ward.result(pid, "antibody_igg", "negative", ago(hours=1))


def _positive_igm(ward, pid):
    ward.clean_patient(pid)
    ward.result(pid, "antibody_igm", "positive", ago(hours=0.5))


def _indeterminate_igg(ward, pid):
    ward.clean_patient(pid)
    ward.result(pid, "antibody_igg", "indeterminate", ago(hours=0.5))


def _pending(ward, pid):
    ward.clean_patient(pid)
    ward.result(pid, "nucleic_acid", None, ago(hours=0.5), "preliminary")


def _one_negative_after_positive(ward, pid):
    ward.clean_patient(pid)
    ward.result(pid, "nucleic_acid", "positive", ago(days=5))


def _outpatient(ward, pid):
    ward.clean_patient(pid, category="outpatient")


def _nobody(ward, pid):
    pass


BLOCKING = [
    ("missing", _missing_igg, {("missing", "antibody_igg")}),
    ("expired", _expired_simple, {("expired", "nucleic_acid")}),
    ("expired after a void", _expired_after_a_void, {("expired", "nucleic_acid")}),
    ("positive", _positive_igm, {("positive", "antibody_igm")}),
    ("indeterminate", _indeterminate_igg, {("indeterminate", "antibody_igg")}),
    ("pending", _pending, {("pending", "nucleic_acid")}),
    (
        "needs_two_negatives",
        _one_negative_after_positive,
        {("needs_two_negatives", "nucleic_acid")},
    ),
    ("not_inpatient", _outpatient, {("not_inpatient", None)}),
    ("unknown_patient", _nobody, {("unknown_patient", None)}),
]


@pytest.mark.parametrize(("name", "seed", "expected"), BLOCKING, ids=[b[0] for b in BLOCKING])
def test_each_blocking_reason(gate, name, seed, expected):
    pid = f"P-{name.replace(' ', '-')}"
    seed(gate.ward, pid)
    check = _check(gate, pid, role="integration")
    assert check["eligible"] is False
    assert {(r["code"], r.get("test_type")) for r in check["reasons"]} == expected
    r = _discharge(gate, pid, disposition="transfer", role="integration")
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "not_eligible"
    assert {(x["code"], x.get("test_type")) for x in problem["reasons"]} == expected
    stored = gate.discharge.get(
        f"/discharges/{problem['attempt_id']}", headers=gate.as_("infection_control")
    ).json()
    assert stored["outcome"] == "blocked"
    assert stored["reasons"] == problem["reasons"]


def test_corrections_flip_eligibility(gate):
    ids = gate.ward.clean_patient("P-200")
    na = ids["nucleic_acid"]
    collected = ago(hours=1)
    assert _check(gate, "P-200")["eligible"] is True
    gate.ward.result("P-200", "nucleic_acid", "positive", collected, "corrected", na)
    check = _check(gate, "P-200")
    assert {r["code"] for r in check["reasons"]} == {"positive", "needs_two_negatives"}
    assert _discharge(gate, "P-200").status_code == 409
    gate.ward.result("P-200", "nucleic_acid", "negative", collected, "corrected", na)
    check = _check(gate, "P-200")
    assert check["eligible"] is True, check
    counting = [e for e in check["evidence"] if e["test_type"] == "nucleic_acid"]
    assert [(e["result_external_id"], e["version"], e["status"]) for e in counting] == [
        (na, 3, "corrected")
    ]
    gate.ward.result("P-200", "nucleic_acid", "negative", collected, "entered_in_error", na)
    assert {r["code"] for r in _check(gate, "P-200")["reasons"]} == {"missing"}
    assert _discharge(gate, "P-200").status_code == 409


def test_exceptions_are_for_infection_control_with_a_reason(gate):
    gate.ward.person("P-300")
    gate.ward.result("P-300", "nucleic_acid", "positive", ago(hours=2))
    denied = _discharge(gate, "P-300", "designated_hospital", role="nurse", reason="transfer")
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert _discharge(gate, "P-300", "death", role="doctor", reason="x").status_code == 403
    no_reason = _discharge(gate, "P-300", "death", role="infection_control")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    blank = _discharge(gate, "P-300", "death", role="infection_control", reason="   ")
    assert blank.status_code == 422

    r = _discharge(
        gate, "P-300", "designated_hospital", role="infection_control", reason="to Jinyintan"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "exception"
    assert body["reason"] == "to Jinyintan"
    assert {x["code"] for x in body["reasons"]} >= {"positive", "missing"}
    assert body["evidence"][0]["result"] == "positive"
    assert _discharge(gate, "P-300", "home", role="nurse").json()["code"] == "already_discharged"
    denials = gate.discharge.get(
        "/audit", params={"action": "auth.denied"}, headers=gate.as_("auditor")
    ).json()["items"]
    assert len(denials) == 2


def test_a_new_admission_may_be_discharged_again(gate):
    gate.ward.clean_patient("P-400", admitted_at="2026-10-01T08:00:00+08:00")
    assert _discharge(gate, "P-400").status_code == 201
    gate.ward.person("P-400", admitted_at="2026-11-05T08:00:00+08:00")
    assert _discharge(gate, "P-400").status_code == 201
    assert _discharge(gate, "P-400").status_code == 409


def test_idempotency_key_replays_the_first_answer(gate):
    gate.ward.clean_patient("P-500")
    body = {"patient_external_id": "P-500", "disposition": "home"}
    headers = {**gate.as_("nurse", sub="nurse-li"), "Idempotency-Key": "k-1"}
    first = gate.discharge.post("/discharges", json=body, headers=headers)
    second = gate.discharge.post("/discharges", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    other = gate.discharge.post(
        "/discharges", json={**body, "disposition": "transfer"}, headers=headers
    )
    assert other.status_code == 422
    items = gate.discharge.get(
        "/discharges", params={"patient_external_id": "P-500"}, headers=gate.as_("auditor")
    ).json()["items"]
    assert len(items) == 1

    gate.ward.person("P-501")
    blocked_headers = {**headers, "Idempotency-Key": "k-2"}
    body = {"patient_external_id": "P-501", "disposition": "home"}
    first = gate.discharge.post("/discharges", json=body, headers=blocked_headers)
    gate.ward.clean_patient("P-501")
    second = gate.discharge.post("/discharges", json=body, headers=blocked_headers)
    assert first.status_code == second.status_code == 409
    assert second.json() == first.json()
    fresh = gate.discharge.post(
        "/discharges", json=body, headers={**headers, "Idempotency-Key": "k-3"}
    )
    assert fresh.status_code == 201
