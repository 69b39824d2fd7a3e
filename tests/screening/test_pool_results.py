"""A pool's result becomes each member's pooled result: negatives, positives with retests,
corrections and voids, re-sends, HL7 v2 and FHIR, status by category, retests closed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.feeds.conftest import fhir_sample, hl7_sample, msa, unique
from tests.screening.conftest import ago, result

MEMBERS = (("S-1", "STAFF1", "staff"), ("S-2", "INP1", "inpatient"), ("S-3", "CG1", "caregiver"))


class Lab:
    """A screening service with three persons whose specimens share pool POOL-1."""

    def __init__(self, screening: Any) -> None:
        self.s = screening
        self.client = screening.client
        self.nurse = screening.nurse
        self.integration = screening.idp.headers("integration")
        for sid, person, category in MEMBERS:
            extra = {"patient_external_id": "INP1"} if category == "caregiver" else {}
            screening.person(person, category=category, **extra)
            body = {
                "specimen_id": sid,
                "person_external_id": person,
                "collected_at": ago(hours=5),
                "pool_id": "POOL-1",
            }
            r = self.client.post("/specimens", json=body, headers=self.nurse)
            assert r.status_code == 201, r.text

    def pool_result(
        self, value: str, status: str = "final", ext: str = "PR-1", **extra: Any
    ) -> Any:
        body = {"external_id": ext, "result": value, "status": status, **extra}
        return self.client.post("/pools/POOL-1/result", json=body, headers=self.integration)

    def history(self, person: str) -> list[dict[str, Any]]:
        r = self.client.get(
            f"/persons/{person}/results",
            params={"include_history": True},
            headers=self.nurse,
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def retests(self, state: str = "open") -> list[dict[str, Any]]:
        r = self.client.get("/retests", params={"state": state}, headers=self.nurse)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def na_state(self, person: str) -> str:
        return str(self.s.states(person)["nucleic_acid"])


@pytest.fixture
def lab(screening: Any) -> Lab:
    return Lab(screening)


def test_a_negative_pool_gives_each_member_a_pooled_final_negative(lab: Lab) -> None:
    r = lab.pool_result("negative", resulted_at=ago(hours=1), performer="Central Lab")
    assert r.status_code == 200, r.text
    pool = r.json()
    assert pool["state"] == "negative"
    assert pool["result_external_id"] == "PR-1"
    assert pool["size"] == 3
    for sid, person, _ in MEMBERS:
        (version,) = lab.history(person)
        assert version["external_id"] == f"PR-1:{sid}"
        assert version["method"] == "pooled"
        assert version["pool_id"] == "POOL-1"
        assert version["result"] == "negative"
        assert version["status"] == "final"
        assert version["test_type"] == "nucleic_acid"
        member = next(m for m in pool["members"] if m["specimen_id"] == sid)
        assert version["specimen_collected_at"] == member["collected_at"]
    assert lab.retests() == []


def test_status_counts_a_pooled_negative_only_where_the_policy_says(lab: Lab) -> None:
    assert lab.pool_result("negative").status_code == 200
    assert lab.na_state("STAFF1") == "ok"  # pooled_counts: true for staff
    assert lab.na_state("INP1") == "missing"  # false for inpatients: an individual test needed
    policy = lab.client.get("/policy", headers=lab.nurse).json()
    assert policy["pooled_counts"]["staff"] is True
    assert policy["pooled_counts"]["inpatient"] is False
    assert policy["pooled_counts"]["public"] is True
    compliance = lab.client.get(
        "/compliance", params={"category": "inpatient"}, headers=lab.nurse
    ).json()
    lacks = {x["test_type"]: x["state"] for x in compliance["items"][0]["lacking"]}
    assert lacks["nucleic_acid"] == "missing"
    staff = lab.client.get("/compliance", params={"category": "staff"}, headers=lab.nurse).json()
    lacking = {x["test_type"] for x in staff["items"][0]["lacking"]}
    assert "nucleic_acid" not in lacking


def test_a_positive_pool_makes_every_member_pending_with_an_open_retest(lab: Lab) -> None:
    lab.s.post(result("OLD-NEG", person="INP1", hours_ago=30))
    r = lab.pool_result("positive")
    assert r.json()["state"] == "positive"
    for sid, person, _ in MEMBERS:
        latest = lab.history(person)[0]
        assert (latest["external_id"], latest["status"]) == (f"PR-1:{sid}", "preliminary")
        assert latest["result"] == "positive"
        # pending whatever pooled_counts says, the inpatient included
        assert lab.na_state(person) == "pending"
    opened = lab.retests()
    assert sorted((x["specimen_id"], x["person_external_id"]) for x in opened) == [
        ("S-1", "STAFF1"),
        ("S-2", "INP1"),
        ("S-3", "CG1"),
    ]
    assert all(x["pool_id"] == "POOL-1" and x["state"] == "open" for x in opened)
    # An indeterminate pool does the same.
    lab.client.post(
        "/specimens",
        json={
            "specimen_id": "S-9",
            "person_external_id": "STAFF1",
            "collected_at": ago(hours=4),
            "pool_id": "POOL-2",
        },
        headers=lab.nurse,
    )
    body = {"external_id": "PR-2", "result": "indeterminate", "status": "final"}
    r2 = lab.client.post("/pools/POOL-2/result", json=body, headers=lab.integration)
    assert r2.json()["state"] == "indeterminate"
    assert len(lab.retests()) == 4


def test_an_individual_result_collected_after_the_pool_closes_the_retest(lab: Lab) -> None:
    lab.pool_result("positive")
    # Collected before the pool's specimens: answers nothing.
    lab.s.post(result("EARLY", person="STAFF1", hours_ago=6))
    assert len(lab.retests()) == 3
    # An individual preliminary does not close it either.
    lab.s.post(result("PRELIM", person="STAFF1", status="preliminary", hours_ago=1))
    assert len(lab.retests()) == 3
    lab.s.post(result("RETEST-1", person="STAFF1", hours_ago=1))
    done = lab.retests("done")
    assert [(x["person_external_id"], x["closed_by_result_external_id"]) for x in done] == [
        ("STAFF1", "RETEST-1")
    ]
    assert len(lab.retests()) == 2
    assert lab.na_state("STAFF1") == "ok"
    # A batch closes them too.
    batch = {"results": [result("RETEST-2", person="CG1", hours_ago=1)]}
    assert lab.client.post("/results/batch", json=batch, headers=lab.nurse).json()["accepted"] == 1
    assert [x["person_external_id"] for x in lab.retests()] == ["INP1"]


def test_a_resend_is_idempotent(lab: Lab) -> None:
    first = lab.pool_result("negative")
    again = lab.pool_result("negative")
    assert again.status_code == 200
    assert again.json() == first.json()
    for _, person, _ in MEMBERS:
        assert len(lab.history(person)) == 1
    other = lab.pool_result("positive")  # same id, other content, not a correction
    assert other.status_code == 409
    assert other.json()["code"] == "result_conflict"


def test_corrections_and_voids_flow_to_the_members(lab: Lab) -> None:
    lab.pool_result("negative")
    fixed = lab.pool_result("positive", status="corrected")
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["state"] == "positive"
    for sid, person, _ in MEMBERS:
        versions = lab.history(person)
        assert [(v["version"], v["status"], v["result"]) for v in versions] == [
            (2, "corrected", "positive"),
            (1, "final", "negative"),
        ]
        assert versions[0]["replaces"] == {"external_id": f"PR-1:{sid}", "version": 1}
        assert lab.na_state(person) == "pending"
    assert len(lab.retests()) == 3
    back = lab.pool_result("negative", status="corrected")
    assert back.json()["state"] == "negative"
    assert lab.retests() == []  # closed to match
    assert lab.na_state("STAFF1") == "ok"
    void = lab.pool_result("negative", status="entered_in_error")
    assert void.status_code == 200
    assert void.json()["state"] == "open"
    for _, person, _ in MEMBERS:
        assert lab.history(person)[0]["status"] == "entered_in_error"
    assert lab.na_state("STAFF1") == "missing"
    # a void of a pool result that never existed
    assert lab.pool_result("negative", "entered_in_error", ext="NONE").status_code == 422


def test_results_refuse_method_pooled_and_carry_method(lab: Lab) -> None:
    refused = lab.s.post(result("R-1", person="STAFF1", method="pooled"), expect=422)
    assert any("method" in str(e) for e in refused["errors"])
    stored = lab.s.post(result("R-2", person="STAFF1", method="individual"))
    assert (stored["method"], stored["pool_id"]) == ("individual", None)
    plain = lab.s.post(result("R-3", person="STAFF1"))
    assert plain["method"] == "individual"


def test_a_pool_result_by_hl7_v2_names_the_pool_in_spm_2(lab: Lab) -> None:
    accession = unique("ACC")
    message = hl7_sample(
        "elr_oru_r01_naat.hl7",
        MRN="SOMEONE-ELSE",  # the lab knows the pool, not its members
        CONTROL=unique("CTL"),
        ACCESSION=accession,
        RESULT="260373001^Detected^SCT",
        STATUS="F",
    ).replace("SPM|1|SPEC-1&", "SPM|1|POOL-1&")
    headers = {**lab.integration, "Content-Type": "application/hl7-v2"}
    r = lab.client.post("/hl7/v2", content=message.encode(), headers=headers)
    assert r.status_code == 200, r.text
    assert msa(r.text)[0][1] == "AA", r.text
    pool = lab.client.get("/pools/POOL-1", headers=lab.nurse).json()
    assert pool["state"] == "positive"
    assert pool["result_external_id"] == f"{accession}-1"
    assert lab.history("INP1")[0]["external_id"] == f"{accession}-1:S-2"
    assert len(lab.retests()) == 3
    inbox = lab.client.get("/inbox", headers=lab.nurse).json()["items"]
    assert inbox == []  # nothing held for the unknown patient fields


def test_a_pool_result_by_fhir_names_the_pool_in_specimen_identifier(lab: Lab) -> None:
    document = fhir_sample("observation_naat.json", RESULT_ID="FHIR-PR-1", MRN="NOBODY")
    document["specimen"] = {"identifier": {"value": "POOL-1"}}
    headers = {**lab.integration, "Content-Type": "application/fhir+json"}
    r = lab.client.post("/fhir/Observation", content=json.dumps(document), headers=headers)
    assert r.status_code == 200, r.text
    assert "POOL-1" in r.text
    pool = lab.client.get("/pools/POOL-1", headers=lab.nurse).json()
    assert (pool["state"], pool["result_external_id"]) == ("negative", "FHIR-PR-1")
    assert lab.history("CG1")[0]["external_id"] == "FHIR-PR-1:S-3"
    again = lab.client.post("/fhir/Observation", content=json.dumps(document), headers=headers)
    assert again.status_code == 200
    assert len(lab.history("CG1")) == 1


def test_a_policy_file_may_set_pooled_counts(make_client: Any, idp: Any, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "categories:\n"
        "  staff: [{test_type: nucleic_acid, within_days: 14}]\n"
        "  inpatient: []\n  outpatient: []\n  caregiver: []\n"
        "pooled_counts: {staff: false}\n",
        encoding="utf-8",
    )
    client = make_client("screening", wardgate_policy_file=policy)
    nurse = idp.headers("nurse")
    client.put(
        "/persons/S1",
        json={"name": "N S1", "category": "staff", "department": "resp"},
        headers=nurse,
    )
    body = {
        "specimen_id": "T1",
        "person_external_id": "S1",
        "collected_at": ago(hours=2),
        "pool_id": "PX",
    }
    assert client.post("/specimens", json=body, headers=nurse).status_code == 201
    pr = {"external_id": "PXR", "result": "negative", "status": "final"}
    assert client.post("/pools/PX/result", json=pr, headers=nurse).status_code == 200
    status = client.get("/persons/S1/screening-status", headers=nurse).json()
    assert status["items"][0]["state"] == "missing"
    assert client.get("/policy", headers=nurse).json()["pooled_counts"]["staff"] is False
