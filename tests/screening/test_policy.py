"""The screening policy: the contract's default, or a YAML/JSON file checked at startup."""

from __future__ import annotations

import json

import pytest

from services.screening.status.policy_file import PolicyFileError
from tests.screening.conftest import result

YAML_POLICY = """\
categories:
  staff:
    - {test_type: nucleic_acid, within_days: 7}
  inpatient:
    - {test_type: nucleic_acid, within_hours: 72}
    - {test_type: chest_ct, within_days: 30}
  caregiver: []
  outpatient:
    - {test_type: nucleic_acid, within_hours: 48}
"""


def test_default_policy_is_the_contracts(screening, idp):
    doc = screening.client.get("/policy", headers=idp.headers("admin")).json()
    full = ["nucleic_acid", "antibody_igm", "antibody_igg", "chest_ct", "blood_routine"]
    assert doc["source"] == "default"
    for category, tests, days in [
        ("staff", full, 14),
        ("inpatient", full, 14),
        ("caregiver", full[:3], 7),
        ("outpatient", [], 0),
    ]:
        assert doc["categories"][category] == [{"test_type": t, "within_days": days} for t in tests]


def test_a_yaml_policy_file_drives_status_and_compliance(make_client, idp, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(YAML_POLICY)
    client = make_client("screening", wardgate_policy_file=path)
    h = idp.headers("nurse")
    doc = client.get("/policy", headers=h).json()
    assert doc["source"] == str(path)
    assert doc["categories"]["inpatient"] == [
        {"test_type": "nucleic_acid", "within_days": 3},
        {"test_type": "chest_ct", "within_days": 30},
    ]
    client.put(
        "/persons/P1", json={"name": "A", "category": "inpatient", "department": "d"}, headers=h
    )
    client.put(
        "/persons/O1", json={"name": "B", "category": "outpatient", "department": "d"}, headers=h
    )
    client.post("/results", json=result("R1", hours_ago=80), headers=h)
    client.post(
        "/results",
        json=result("CT1", test_type="chest_ct", value="normal", hours_ago=24 * 20),
        headers=h,
    )
    status = client.get("/persons/P1/screening-status", headers=h).json()
    assert [(i["test_type"], i["state"]) for i in status["items"]] == [
        ("nucleic_acid", "expired"),
        ("chest_ct", "ok"),
    ]
    lacking = client.get("/compliance?state=noncompliant", headers=h).json()["items"]
    assert [(i["external_id"], i["lacking"]) for i in lacking] == [
        ("O1", [{"test_type": "nucleic_acid", "state": "missing"}]),
        ("P1", [{"test_type": "nucleic_acid", "state": "expired"}]),
    ]


def test_a_json_policy_file_is_accepted(make_client, idp, tmp_path):
    path = tmp_path / "policy.json"
    categories = {c: [] for c in ("staff", "inpatient", "caregiver", "outpatient")}
    path.write_text(json.dumps({"categories": categories}))
    client = make_client("screening", wardgate_policy_file=path)
    client.put(
        "/persons/S1",
        json={"name": "A", "category": "staff", "department": "d"},
        headers=idp.headers("nurse"),
    )
    status = client.get("/persons/S1/screening-status", headers=idp.headers("nurse")).json()
    assert (status["compliant"], status["items"]) == (True, [])


BAD_POLICIES = [
    ("missing category", "categories: {staff: [], inpatient: [], caregiver: []}", "outpatient"),
    (
        "unknown test",
        "categories: {staff: [{test_type: xray, within_days: 1}], inpatient: [], "
        "caregiver: [], outpatient: []}",
        "test_type",
    ),
    (
        "no window",
        "categories: {staff: [{test_type: chest_ct}], inpatient: [], caregiver: [], "
        "outpatient: []}",
        "within_days or within_hours",
    ),
    (
        "negative window",
        "categories: {staff: [{test_type: chest_ct, within_days: -1}], "
        "inpatient: [], caregiver: [], outpatient: []}",
        "greater than 0",
    ),
    (
        "twice",
        "categories: {staff: [{test_type: chest_ct, within_days: 1}, {test_type: chest_ct, "
        "within_days: 2}], inpatient: [], caregiver: [], outpatient: []}",
        "twice",
    ),
    (
        "unknown category",
        "categories: {visitor: [], staff: [], inpatient: [], caregiver: [], outpatient: []}",
        "visitor",
    ),
    ("not yaml", "categories: [unclosed", "cannot be read"),
    ("not a mapping", "- just a list", "valid policy"),
]


@pytest.mark.parametrize(
    ("text", "message"), [b[1:] for b in BAD_POLICIES], ids=[b[0] for b in BAD_POLICIES]
)
def test_an_invalid_policy_file_stops_startup_with_a_clear_error(
    make_client, tmp_path, text, message
):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyFileError) as err:
        make_client("screening", wardgate_policy_file=path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_missing_policy_file_stops_startup(make_client, tmp_path):
    with pytest.raises(PolicyFileError, match="cannot be read"):
        make_client("screening", wardgate_policy_file=tmp_path / "nope.yaml")


def test_policy_needs_a_token(screening):
    assert screening.client.get("/policy").status_code == 401
