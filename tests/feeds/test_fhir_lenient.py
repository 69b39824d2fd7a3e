"""FHIR Bundles as real senders (SimpleReport, ReportStream) build them.

Resources WardGate never reads (Provenance without `target`, ServiceRequest without `intent`,
a type the library does not know) are reported "not read", never a reason to refuse the
Bundle; primitive extensions (`_effectiveDateTime`, `_valueDateTime` inside an extension) do
not refuse what is read; the Observations a DiagnosticReport points to get a result id from the
report's identifier and their code, the same on every re-send; results of other tests are
counted in the answer, not refused and not held.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.feeds.conftest import unique

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
DETECTED = {"coding": [{"system": SNOMED, "code": "260373001", "display": "Detected"}]}
NOT_DETECTED = {"coding": [{"system": SNOMED, "code": "260415000", "display": "Not detected"}]}
# How ReportStream marks a converted HL7 timestamp: an extension inside a primitive extension.
PRIMITIVE_EXTENSION = {
    "extension": [
        {
            "url": "https://reportstream.cdc.gov/fhir/StructureDefinition/hl7v2-date-time",
            "valueString": "20240218000000-0500",
            "_valueDateTime": {"extension": [{"url": "http://example.org/x", "valueCode": "y"}]},
        }
    ]
}


def _observation(code: str, value: dict[str, Any], status: str = "final") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": str(uuid.uuid4()),  # a fresh id on every send, as ReportStream makes them
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-02-18T09:00:00+08:00",
        "_effectiveDateTime": copy.deepcopy(PRIMITIVE_EXTENSION),
        "valueCodeableConcept": copy.deepcopy(value),
    }


def report_bundle(
    mrn: str, report_id: str, results: list[tuple[str, dict[str, Any]]], status: str = "final"
) -> dict[str, Any]:
    """A message Bundle shaped like ReportStream's: urn:uuid fullUrls new on every call."""
    observations = [_observation(code, value, status) for code, value in results]
    urls = [f"urn:uuid:{uuid.uuid4()}" for _ in observations]
    report = {
        "resourceType": "DiagnosticReport",
        "id": str(uuid.uuid4()),
        "identifier": [{"value": report_id}],
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": "94531-1"}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-02-18T09:00:00+08:00",
        "_effectiveDateTime": copy.deepcopy(PRIMITIVE_EXTENSION),
        "result": [{"reference": url} for url in urls],
    }
    entries: list[dict[str, Any]] = [
        {"fullUrl": "MessageHeader/h", "resource": {"resourceType": "MessageHeader"}},
        {"fullUrl": "Provenance/v", "resource": {"resourceType": "Provenance", "recorded": "x"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": report},
        {
            "fullUrl": "Patient/p",
            "resource": {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [{"value": mrn}],
                "birthDate": "1970-01-01",
                "_birthDate": copy.deepcopy(PRIMITIVE_EXTENSION),
            },
        },
        {"resource": {"resourceType": "ServiceRequest", "status": "active"}},
        {"resource": {"resourceType": "NotAFhirType", "anything": [1, {"at": "all"}]}},
    ]
    entries += [
        {"fullUrl": url, "resource": obs} for url, obs in zip(urls, observations, strict=True)
    ]
    return {"resourceType": "Bundle", "type": "message", "entry": entries}


def _issues(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return list(entry["response"].get("outcome", {}).get("issue", []))


def _statuses(r: Any) -> list[str]:
    return [e["response"]["status"] for e in r.json()["entry"]]


def test_unread_resources_are_reported_not_read_and_the_result_is_stored(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    document = report_bundle(mrn, report_id, [("94500-6", DETECTED)])
    document["entry"][2]["resource"]["contained"] = [{"resourceType": "Provenance", "id": "v"}]
    r = feeds.fhir("/fhir", document, expect=200)
    entries = r.json()["entry"]
    for index, kind in ((0, "MessageHeader"), (1, "Provenance"), (4, "ServiceRequest")):
        [issue] = _issues(entries[index])
        assert issue["severity"] == "information"
        assert issue["diagnostics"] == f"Bundle.entry[{index}]: {kind} not read"
        assert issue["expression"] == [f"Bundle.entry[{index}]"]
    assert _issues(entries[5])[0]["diagnostics"] == "Bundle.entry[5]: NotAFhirType not read"
    assert entries[2]["response"]["status"] == "201 Created"
    [issue] = _issues(entries[2])
    assert issue["diagnostics"] == "Bundle.entry[2].contained[0] Provenance not read"
    [stored] = feeds.results(mrn)
    assert stored["external_id"] == f"{report_id}-94500-6"
    assert (stored["test_type"], stored["result"]) == ("nucleic_acid", "positive")


def test_a_resend_with_new_resource_ids_is_already_stored(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    results = [("94500-6", DETECTED)]
    feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    r = feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    assert _statuses(r)[2] == "200 OK"
    assert "already stored 1" in _issues(r.json()["entry"][2])[0]["diagnostics"]
    assert len(feeds.results(mrn, history=True)) == 1


def test_a_corrected_resend_is_a_new_version_of_the_same_result(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    feeds.fhir("/fhir", report_bundle(mrn, report_id, [("94500-6", DETECTED)]), expect=200)
    corrected = report_bundle(mrn, report_id, [("94500-6", NOT_DETECTED)], status="corrected")
    r = feeds.fhir("/fhir", corrected, expect=200)
    assert _statuses(r)[2] == "201 Created"
    history = feeds.results(mrn, history=True)
    assert {h["external_id"] for h in history} == {f"{report_id}-94500-6"}
    assert [h["result"] for h in history] == ["negative", "positive"]


def test_two_results_with_the_same_code_keep_their_order_apart(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    results = [("94500-6", DETECTED), ("94500-6", NOT_DETECTED)]
    feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    stored = {x["external_id"]: x["result"] for x in feeds.results(mrn, history=True)}
    assert stored == {f"{report_id}-94500-6": "positive", f"{report_id}-94500-6-2": "negative"}


def test_what_is_read_is_still_validated(feeds):
    mrn = unique("L")
    feeds.person(mrn)
    document = report_bundle(mrn, unique("RS"), [("94500-6", DETECTED)])
    document["entry"][6]["resource"]["status"] = 5
    r = feeds.fhir("/fhir", document, expect=400)
    issues = r.json()["issue"]
    assert issues[0]["severity"] == "error"
    assert any(i.get("expression") == ["entry.6.resource.status"] for i in issues[1:])
    assert feeds.results(mrn) == []


def test_a_single_observation_with_primitive_extensions_is_stored(feeds):
    mrn = unique("L")
    feeds.person(mrn)
    obs = _observation("94500-6", DETECTED)
    obs["identifier"] = [{"value": unique("OBS"), "_value": copy.deepcopy(PRIMITIVE_EXTENSION)}]
    obs["subject"] = {"identifier": {"value": mrn}}
    obs["extension"] = copy.deepcopy(PRIMITIVE_EXTENSION["extension"])
    obs["contained"] = [{"resourceType": "Provenance", "id": "pv"}]  # no target: not read
    feeds.fhir("/fhir/Observation", obs, expect=201)
    assert len(feeds.results(mrn)) == 1


FLU_A = "92142-9"  # Influenza virus A RNA [Presence] in Respiratory specimen by NAA with probe
RSV = "92131-2"  # Respiratory syncytial virus RNA [Presence] ... by NAA with probe


def test_other_tests_in_a_report_are_counted_and_the_result_stored(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    results = [("94500-6", DETECTED), (FLU_A, DETECTED), (RSV, NOT_DETECTED)]
    r = feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    entry = r.json()["entry"][2]
    assert entry["response"]["status"] == "201 Created"
    [issue] = [i for i in _issues(entry) if "ignored" in i["diagnostics"]]
    assert issue["severity"] == "information"
    assert issue["diagnostics"].startswith("ignored 2 observations, not screening results")
    assert FLU_A in issue["diagnostics"] and RSV in issue["diagnostics"]
    assert [x["external_id"] for x in feeds.results(mrn)] == [f"{report_id}-94500-6"]
    assert feeds.inbox(state="all") == []


def test_a_flu_only_report_stores_and_holds_nothing_and_says_so(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    results = [(FLU_A, DETECTED), (RSV, NOT_DETECTED)]
    for kind in ("message", "transaction"):
        document = report_bundle(mrn, report_id, results)
        document["type"] = kind
        r = feeds.fhir("/fhir", document, expect=200)
        entry = r.json()["entry"][2]
        assert entry["response"]["status"] == "200 OK"
        [issue] = _issues(entry)
        assert issue["severity"] == "information"
        assert issue["diagnostics"].startswith(
            "nothing stored or held; ignored 2 observations, not screening results"
        )
    assert feeds.results(mrn) == [] and feeds.inbox(state="all") == []


def test_a_single_observation_of_another_test_is_answered_200(feeds):
    mrn = unique("L")
    feeds.person(mrn)
    obs = _observation(FLU_A, DETECTED)
    obs["identifier"] = [{"value": unique("FLU")}]
    obs["subject"] = {"identifier": {"value": mrn}}
    r = feeds.fhir("/fhir/Observation", obs, expect=200)
    [issue] = r.json()["issue"]
    assert issue["severity"] == "information"
    assert issue["diagnostics"].startswith("nothing stored or held; ignored 1 observation,")
    assert feeds.results(mrn) == [] and feeds.inbox(state="all") == []


def test_an_ask_at_order_entry_answer_without_identifier_is_not_refused(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    document = report_bundle(mrn, report_id, [("94500-6", DETECTED)])
    question = _observation("95419-8", {"coding": [{"code": "N", "display": "No"}]})
    question["identifier"] = [{"type": {"coding": [{"system": LOINC, "code": "81959-9"}]}}]
    document["entry"].append({"resource": question})  # named by no report: a unit of its own
    r = feeds.fhir("/fhir", document, expect=200)
    assert _statuses(r)[-1] == "200 OK"
    assert len(feeds.results(mrn)) == 1


def test_gene_targets_beside_the_overall_result_are_named_as_detail(feeds):
    mrn, report_id = unique("L"), unique("RS")
    feeds.person(mrn)
    results = [("94500-6", DETECTED), ("94533-7", DETECTED)]  # overall, N gene
    r = feeds.fhir("/fhir", report_bundle(mrn, report_id, results), expect=200)
    entry = r.json()["entry"][2]
    assert entry["response"]["status"] == "201 Created"
    texts = [i["diagnostics"] for i in _issues(entry)]
    assert texts == ["1 observation taken as detail of the result: 94533-7 (LN)"]
    assert [x["external_id"] for x in feeds.results(mrn)] == [f"{report_id}-94500-6"]


ANTIGEN = "94558-4"  # SARS-CoV-2 Ag [Presence] in Respiratory specimen by Rapid immunoassay


def test_a_report_without_accession_is_refused_only_when_it_has_a_result_to_keep(feeds):
    mrn = unique("L")
    feeds.person(mrn)
    answers = []
    for code in (ANTIGEN, "94500-6"):
        document = report_bundle(mrn, "x", [(code, DETECTED), ("35659-2", NOT_DETECTED)])
        document["entry"][2]["resource"].pop("identifier")  # as a MARS home-test report
        r = feeds.fhir("/fhir", document, expect=200)
        answers.append(r.json()["entry"][2]["response"])
    antigen, naat = answers
    assert antigen["status"] == "200 OK"
    assert antigen["outcome"]["issue"][0]["diagnostics"].startswith(
        f"nothing stored or held; ignored 1 observation, not screening results "
        f"(other tests; not held): {ANTIGEN} (LN)"
    )
    assert naat["status"] == "422 Unprocessable Entity"
    [issue] = naat["outcome"]["issue"]
    assert (
        issue["diagnostics"] == "the Observation needs an identifier (the laboratory's result id)"
    )
    assert feeds.results(mrn) == [] and feeds.inbox(state="all") == []
