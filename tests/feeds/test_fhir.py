"""FHIR R4: Observations and Bundles stored as results; answers are FHIR resources."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.feeds.conftest import fhir_sample

FHIR_JSON = "application/fhir+json"


def _outcome(response) -> OperationOutcome:
    assert response.headers["content-type"] == FHIR_JSON
    return OperationOutcome.model_validate(response.json())


def test_observation_is_stored_and_answered_as_a_valid_observation(feeds):
    feeds.person("F1")
    doc = fhir_sample("observation_naat.json", MRN="F1", RESULT_ID="LAB-1")
    r = feeds.fhir("/fhir/Observation", doc, expect=201)
    assert r.headers["content-type"] == FHIR_JSON
    assert r.headers["location"] == "Observation/LAB-1/_history/1"
    answered = Observation.model_validate(r.json())
    assert answered.status == "final"
    assert answered.valueCodeableConcept.coding[0].code == "260415000"
    [stored] = feeds.results("F1")
    assert stored["external_id"] == "LAB-1"
    assert (stored["test_type"], stored["result"]) == ("nucleic_acid", "negative")
    assert stored["specimen_collected_at"] == "2024-01-10T00:00:00Z"  # effectiveDateTime
    assert stored["resulted_at"] == "2024-01-10T01:15:00Z"  # issued


def test_same_observation_again_is_a_retry(feeds):
    feeds.person("F1")
    doc = fhir_sample("observation_naat.json", MRN="F1", RESULT_ID="LAB-2")
    feeds.fhir("/fhir/Observation", doc, expect=201)
    feeds.fhir("/fhir/Observation", doc, expect=200)
    assert len(feeds.results("F1", history=True)) == 1


@pytest.mark.parametrize(
    ("status", "stored_status", "versions"),
    [
        ("amended", "corrected", 2),
        ("corrected", "corrected", 2),
        ("entered-in-error", "entered_in_error", 2),
    ],
)
def test_status_amended_corrected_entered_in_error_make_new_versions(
    feeds, status, stored_status, versions
):
    feeds.person("F2")
    doc = fhir_sample("observation_naat.json", MRN="F2", RESULT_ID="LAB-3")
    feeds.fhir("/fhir/Observation", doc, expect=201)
    doc["status"] = status
    doc["valueCodeableConcept"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "260373001"}]
    }
    feeds.fhir("/fhir/Observation", doc, expect=201)
    history = feeds.results("F2", history=True)
    assert len(history) == versions and history[0]["status"] == stored_status


def test_unknown_person_is_held_with_202_and_an_operation_outcome(feeds):
    doc = fhir_sample("observation_naat.json", MRN="F-NEW", RESULT_ID="LAB-4")
    r = feeds.fhir("/fhir/Observation", doc, expect=202)
    assert "held in inbox: unknown person" in _outcome(r).issue[0].diagnostics
    feeds.person("F-NEW")
    assert feeds.results("F-NEW")[0]["external_id"] == "LAB-4"


def test_blood_count_panel_components(feeds):
    feeds.person("F3")
    doc = fhir_sample("observation_cbc.json", MRN="F3", RESULT_ID="CBC-1")
    r = feeds.fhir("/fhir/Observation", doc, expect=201)
    assert {c["code"]["coding"][0]["code"] for c in r.json()["component"]} == {"6690-2", "731-0"}
    [stored] = feeds.results("F3")
    assert stored["result"] == "normal"
    assert stored["values"]["wbc"] == {"value": 6.1, "unit": "10*9/L"}


def test_batch_bundle_answers_entry_by_entry(feeds):
    feeds.person("F4")
    doc = fhir_sample("bundle_batch.json", MRN="F4", RESULT_ID="AB-1")
    r = feeds.fhir("/fhir", doc, expect=200)
    bundle = Bundle.model_validate(r.json())
    assert bundle.type == "batch-response"
    assert [e.response.status for e in bundle.entry] == ["201 Created", "201 Created", "200 OK"]
    by_type = {x["test_type"]: x["result"] for x in feeds.results("F4")}
    assert by_type == {"antibody_igm": "negative", "antibody_igg": "positive"}


def test_transaction_resolves_the_patient_in_the_bundle(feeds):
    feeds.person("F5")
    doc = fhir_sample("bundle_transaction.json", MRN="F5", RESULT_ID="TX-1")
    r = feeds.fhir("/fhir", doc, expect=200)
    assert r.json()["type"] == "transaction-response"
    [stored] = feeds.results("F5")
    assert (stored["test_type"], stored["result"]) == ("nucleic_acid", "positive")  # 94309-2


def test_failing_transaction_stores_nothing(feeds):
    feeds.person("F6")
    doc = fhir_sample("bundle_batch.json", MRN="F6", RESULT_ID="TX-2")
    doc["type"] = "transaction"
    doc["entry"][1]["resource"]["effectiveDateTime"] = "2024-01"  # less than a full date
    r = feeds.fhir("/fhir", doc, expect=422)
    assert _outcome(r).issue[0].expression == ["Bundle.entry[1]"]
    assert feeds.results("F6") == []


def test_collection_with_a_diagnostic_report_and_contained_observations(feeds):
    feeds.person("F7")
    doc = fhir_sample("bundle_collection_diagnosticreport.json", MRN="F7", RESULT_ID="DR-1")
    feeds.fhir("/fhir", doc, expect=200)
    stored = {x["external_id"]: x for x in feeds.results("F7")}
    assert set(stored) == {"DR-1-igm", "DR-1-igg"}
    # effectiveDateTime of the report is the specimen time of its contained results.
    assert stored["DR-1-igm"]["specimen_collected_at"] == "2024-01-09T23:30:00Z"


def test_message_bundle_takes_specimen_time_from_the_specimen(feeds):
    feeds.person("F8")
    doc = fhir_sample("bundle_message.json", MRN="F8", RESULT_ID="MSG-1")
    r = feeds.fhir("/fhir", doc, expect=200)
    statuses = [e["response"]["status"] for e in r.json()["entry"]]
    assert statuses == ["200 OK", "200 OK", "200 OK", "201 Created"]
    [stored] = feeds.results("F8")
    assert stored["specimen_collected_at"] == "2024-01-10T00:05:00Z"


def test_read_back_by_subject_identifier_and_code(feeds):
    feeds.person("F9")
    feeds.fhir("/fhir", fhir_sample("bundle_batch.json", MRN="F9", RESULT_ID="RB"), expect=200)
    params = {"subject:identifier": "urn:oid:2.16.840.1.113883.3.9999.1|F9"}
    r = feeds.client.get("/fhir/Observation", params=params, headers=feeds.integration)
    assert r.status_code == 200 and r.headers["content-type"] == FHIR_JSON
    assert len(Bundle.model_validate(r.json()).entry) == 2
    r = feeds.client.get(
        "/fhir/Observation",
        params={**params, "code": "http://loinc.org|94507-1"},  # another IgG code
        headers=feeds.integration,
    )
    [entry] = Bundle.model_validate(r.json()).entry
    assert entry.resource.code.coding[0].code == "94563-4"
    r = feeds.client.get(
        "/fhir/Observation", params={**params, "_count": "1"}, headers=feeds.integration
    )
    links = {link["relation"]: link["url"] for link in r.json()["link"]}
    nxt = feeds.client.get(links["next"], headers=feeds.integration)
    assert len(nxt.json()["entry"]) == 1 and "next" not in {
        x["relation"] for x in nxt.json()["link"]
    }
    assert any(a["action"] == "result.read" for a in feeds.audit(action="result.read"))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"subject:identifier": "bad id!"},
        {"subject:identifier": "F9", "_count": "x"},
        {"subject:identifier": "F9", "_page_token": "%%%"},
    ],
)
def test_bad_search_is_an_operation_outcome(feeds, params):
    r = feeds.client.get("/fhir/Observation", params=params, headers=feeds.integration)
    assert r.status_code == 400
    assert _outcome(r).issue[0].severity == "error"


def test_capability_statement(feeds):
    r = feeds.client.get("/fhir/metadata", headers=feeds.integration)
    statement = CapabilityStatement.model_validate(r.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.rest[0].resource[0].type == "Observation"


def _observation(**changes):
    doc = fhir_sample("observation_naat.json", MRN="FX", RESULT_ID="BAD-1")
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("body", "status", "issue"),
    [
        (b"{not json", 400, "structure"),
        (b"", 400, "structure"),
        (
            b'{"resourceType": "Observation", "status": "final", "code": {"text": "x\x00"}}',
            400,
            "structure",
        ),
        (b"\xff\xfe", 400, "structure"),
        (b"[]", 400, "structure"),
        (json.dumps({"resourceType": "Patient"}).encode(), 400, "structure"),
        (
            json.dumps(_observation(effectiveDateTime="2024-01-10T08:00:00")).encode(),
            400,
            "structure",
        ),
        (json.dumps(_observation(unknownField=1)).encode(), 400, "structure"),
        (json.dumps(_observation(status="bogus")).encode(), 422, "processing"),
        (json.dumps(_observation(effectiveDateTime="2024-01")).encode(), 422, "value"),
        (
            json.dumps(_observation(effectiveDateTime="2999-01-10T08:00:00+08:00")).encode(),
            422,
            "processing",
        ),
        (
            json.dumps(_observation(identifier=[{"value": "bad id with spaces"}])).encode(),
            422,
            "required",
        ),
        (json.dumps(_observation(subject={"display": "Zhang San"})).encode(), 422, "required"),
        (  # a panel whose members are not in the message: nothing to read
            json.dumps(
                _observation(
                    hasMember=[{"reference": "Observation/elsewhere"}], valueCodeableConcept=None
                )
            ).encode(),
            422,
            "not-supported",
        ),
    ],
)
def test_malformed_observations_get_an_operation_outcome_never_a_500(feeds, body, status, issue):
    feeds.person("FX")
    body = body.replace(b'"valueCodeableConcept": null, ', b"")
    r = feeds.client.post(
        "/fhir/Observation", content=body, headers={**feeds.integration, "Content-Type": FHIR_JSON}
    )
    assert r.status_code == status, r.text
    assert _outcome(r).issue[0].code == issue
    assert feeds.results("FX") == []


def test_wrong_content_type_is_415_operation_outcome(feeds):
    r = feeds.client.post(
        "/fhir/Observation",
        content=b"<Observation/>",
        headers={**feeds.integration, "Content-Type": "application/xml"},
    )
    assert r.status_code == 415
    assert _outcome(r).issue[0].severity == "error"


@pytest.mark.parametrize("bundle_type", ["searchset", "history", "document"])
def test_unsupported_bundle_types(feeds, bundle_type):
    doc = fhir_sample("bundle_batch.json", MRN="F10", RESULT_ID="U")
    doc["type"] = bundle_type
    doc.pop("entry")
    r = feeds.fhir("/fhir", doc)
    assert r.status_code in (400, 422)
    _outcome(r)


@pytest.mark.parametrize("role", ["nurse", "doctor", "admin", "auditor"])
def test_only_integration_clients_may_use_fhir(feeds, role):
    headers = {**feeds.idp.headers(role), "Content-Type": FHIR_JSON}
    doc = json.dumps(fhir_sample("observation_naat.json", MRN="F1", RESULT_ID="R"))
    assert feeds.client.post("/fhir/Observation", content=doc, headers=headers).status_code == 403
    assert feeds.client.get("/fhir/metadata", headers=headers).status_code == 403
