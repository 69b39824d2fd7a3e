"""The report's FHIR R4 Bundle: built from a stored result and person, valid by fhir.resources,
stable across attempts, and refused (never sent) when it would not be valid."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from services.screening.public_health.bundle import (
    ID_CARD_SYSTEM,
    bundle_body,
    oru_message,
    report_bundle,
)
from services.screening.public_health.repository import ReportedPerson
from services.screening.results.repository import ResultRow

AT = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def row(**changes) -> ResultRow:
    fields = dict(
        id=7,
        external_id="R1",
        version=1,
        person_external_id="P1",
        test_type="nucleic_acid",
        result="positive",
        status="final",
        specimen_collected_at=AT - timedelta(hours=5),
        resulted_at=AT - timedelta(hours=1),
        loinc="94500-6",
        values=None,
        performer="市一院检验科",
        note=None,
        replaces_version=None,
        content_hash="x" * 64,
        recorded_at=AT,
        recorded_by="lis",
    )
    fields.update(changes)
    return ResultRow(**fields)


PERSON = ReportedPerson("P1", "张三", "inpatient", "resp", "13812345678", "110101199003071234")


def resources(bundle: dict) -> dict[str, dict]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def test_the_bundle_validates_and_carries_the_four_resources():
    body = bundle_body(report_bundle(42, "initial", row(), PERSON, AT))
    plain = json.loads(body)
    again = Bundle.model_validate(plain)  # what a receiver using fhir.resources would do
    assert again.type == "collection"
    found = resources(plain)
    assert set(found) == {"Patient", "Observation", "Specimen", "Organization"}
    assert plain["identifier"] == {
        "system": "urn:wardgate:public-health-report",
        "value": "report-42",
    }
    assert plain["meta"]["tag"] == [{"system": "urn:wardgate:report-kind", "code": "initial"}]
    patient = found["Patient"]
    assert {"system": ID_CARD_SYSTEM, "value": "110101199003071234", "use": "official"} in patient[
        "identifier"
    ]
    assert patient["name"] == [{"text": "张三"}] and patient["telecom"][0]["value"] == "13812345678"
    obs = found["Observation"]
    assert obs["code"]["coding"][0]["system"] == "http://loinc.org"
    assert obs["code"]["coding"][0]["code"] == "94500-6"
    assert obs["valueCodeableConcept"]["coding"][0]["code"] == "260373001"
    assert obs["status"] == "final"
    assert obs["effectiveDateTime"].startswith("2026-12-07T03:30:00")
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in plain["entry"]}
    assert obs["subject"]["reference"] == urls["Patient"]
    assert obs["specimen"]["reference"] == urls["Specimen"]
    assert obs["performer"][0]["reference"] == urls["Organization"]
    assert found["Organization"]["name"] == "市一院检验科"
    assert found["Specimen"]["collection"]["collectedDateTime"] == obs["effectiveDateTime"]


def test_the_same_report_makes_the_same_document():
    first = bundle_body(report_bundle(42, "initial", row(), PERSON, AT))
    assert first == bundle_body(report_bundle(42, "initial", row(), PERSON, AT))
    assert first != bundle_body(report_bundle(43, "initial", row(), PERSON, AT))


def test_a_cancel_carries_entered_in_error_and_no_value():
    voided = row(version=2, status="entered_in_error", replaces_version=1)
    plain = json.loads(bundle_body(report_bundle(43, "cancel", voided, PERSON, AT)))
    obs = resources(plain)["Observation"]
    assert obs["status"] == "entered-in-error" and "valueCodeableConcept" not in obs
    assert obs["identifier"][0]["value"] == "R1/2"


def test_a_person_without_phone_or_id_number_still_validates():
    bare = ReportedPerson("P2", "李四", "staff", "resp", None, None)
    plain = json.loads(bundle_body(report_bundle(1, "initial", row(performer=None), bare, AT)))
    assert "telecom" not in resources(plain)["Patient"]
    assert resources(plain)["Organization"]["name"] == "WardGate hospital laboratory"


def test_an_invalid_document_is_refused_before_it_leaves():
    with pytest.raises(ValidationError):
        report_bundle(1, "initial", row(loinc=""), PERSON, AT)  # an empty code is not FHIR


def test_the_hl7_message_is_an_oru_r01():
    message = oru_message(42, "correction", row(status="corrected", version=2), PERSON, AT)
    segments = [s.split("|") for s in message.strip("\r").split("\r")]
    assert [s[0] for s in segments] == ["MSH", "PID", "ORC", "OBR", "OBX", "NTE", "SPM"]
    msh = segments[0]
    assert (msh[8], msh[9], msh[11]) == ("ORU^R01^ORU_R01", "WG-R42", "2.5.1")
    obx = segments[4]
    assert obx[11] == "C" and obx[14] == "20261207033000+0000"
    assert segments[3][25] == "C"
