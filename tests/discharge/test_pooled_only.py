"""The discharge gate never counts a pooled nucleic acid: `pooled_only`, and a positive pool
keeps the patient `pending` until the individual retest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.discharge.domain.discharge_rule import PatientFacts, RuleWindows, evaluate_discharge
from shared.counting import ResultVersion
from tests.discharge.conftest import ago

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the .timeout")


def _check(gate: Any, pid: str) -> dict[str, Any]:
    r = gate.discharge.post(
        "/discharge-checks", json={"patient_external_id": pid}, headers=gate.as_("nurse")
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _pooled(gate: Any, pid: str, value: str, hours: float, pool: str, ext: str) -> None:
    screening, headers = gate.ward.screening, gate.ward.headers
    body = {
        "specimen_id": f"T-{pool}",
        "person_external_id": pid,
        "collected_at": ago(hours=hours),
        "pool_id": pool,
    }
    assert screening.post("/specimens", json=body, headers=headers).status_code == 201
    result = {"external_id": ext, "result": value, "status": "final"}
    r = screening.post(f"/pools/{pool}/result", json=result, headers=headers)
    assert r.status_code == 200, r.text


def _antibodies(gate: Any, pid: str) -> None:
    for test_type in ("antibody_igm", "antibody_igg"):
        gate.ward.result(pid, test_type, "negative", ago(hours=1))


def test_a_pooled_negative_alone_is_pooled_only(gate: Any) -> None:
    gate.ward.person("P-1")
    _antibodies(gate, "P-1")
    _pooled(gate, "P-1", "negative", 2, "POOL-A", "PA")
    check = _check(gate, "P-1")
    assert check["eligible"] is False
    assert [(r["code"], r.get("test_type")) for r in check["reasons"]] == [
        ("pooled_only", "nucleic_acid")
    ]
    pooled = [e for e in check["evidence"] if e["result_external_id"] == "PA:T-POOL-A"]
    assert pooled and pooled[0]["method"] == "pooled"


def test_a_pooled_negative_newer_than_an_old_individual_one_is_pooled_only(gate: Any) -> None:
    gate.ward.person("P-2")
    _antibodies(gate, "P-2")
    gate.ward.result("P-2", "nucleic_acid", "negative", ago(hours=100))  # expired
    _pooled(gate, "P-2", "negative", 2, "POOL-B", "PB")
    codes = [r["code"] for r in _check(gate, "P-2")["reasons"]]
    assert codes == ["pooled_only"]
    # The individual retest releases the patient.
    gate.ward.result("P-2", "nucleic_acid", "negative", ago(hours=1))
    assert _check(gate, "P-2")["eligible"] is True


def test_an_individual_negative_newer_than_the_pool_counts(gate: Any) -> None:
    gate.ward.person("P-3")
    _antibodies(gate, "P-3")
    _pooled(gate, "P-3", "negative", 5, "POOL-C", "PC")
    gate.ward.result("P-3", "nucleic_acid", "negative", ago(hours=2))
    assert _check(gate, "P-3")["eligible"] is True


def test_a_positive_pool_keeps_the_patient_pending(gate: Any) -> None:
    gate.ward.clean_patient("P-4")  # individual negatives an hour old
    _pooled(gate, "P-4", "positive", 0.5, "POOL-D", "PD")
    check = _check(gate, "P-4")
    assert check["eligible"] is False
    assert [(r["code"], r.get("test_type")) for r in check["reasons"]] == [
        ("pending", "nucleic_acid")
    ]


def test_the_rule_itself_never_counts_a_pooled_nucleic_acid() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)

    def version(ext: str, test_type: str, hours: float, method: str = "individual") -> Any:
        collected = now - timedelta(hours=hours)
        return ResultVersion(ext, 1, test_type, "negative", "final", collected, method)

    results = [
        version("IGM", "antibody_igm", 1),
        version("IGG", "antibody_igg", 1),
        version("POOL:1", "nucleic_acid", 1, "pooled"),
    ]
    facts = PatientFacts("P", "inpatient")
    decision = evaluate_discharge(facts, results, now, RuleWindows())
    assert decision.codes == {"pooled_only"}
    # A pooled negative outside the 72 h window is simply not there: `missing`.
    old = [*results[:2], version("POOL:2", "nucleic_acid", 80, "pooled")]
    assert evaluate_discharge(facts, old, now, RuleWindows()).codes == {"missing"}
