"""FHIR R4 answers: Observations read back, OperationOutcomes, Bundles, the CapabilityStatement."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Protocol

from services.screening.domain.catalogue import TESTS
from services.screening.feeds import terminology as t
from shared.vocabulary import ResultValue, TestType

FHIR_JSON = "application/fhir+json"
LOINC_URI = "http://loinc.org"
SNOMED_URI = "http://snomed.info/sct"
_INTERPRETATION_URI = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_CATEGORY_URI = "http://terminology.hl7.org/CodeSystem/observation-category"
# FHIR R4's own `id` datatype (not the contract's identifier): 1-64 of [A-Za-z0-9-.].
FHIR_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_INTERPRETATION = {
    ResultValue.NEGATIVE: "NEG",
    ResultValue.POSITIVE: "POS",
    ResultValue.INDETERMINATE: "IND",
    ResultValue.NORMAL: "N",
    ResultValue.ABNORMAL: "A",
}
_VALUE_CODES = {
    "wbc": ("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
    "lymphocytes": ("731-0", "Lymphocytes [#/volume] in Blood"),
    "lymphocytes_pct": ("26474-7", "Lymphocytes/100 leukocytes in Blood"),
}


def outcome(severity: str, code: str, diagnostics: str, expression: str = "") -> dict[str, Any]:
    """An OperationOutcome with one issue."""
    return outcome_of([(severity, code, diagnostics, expression)])


def outcome_of(issues: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """An OperationOutcome with several issues: (severity, code, diagnostics, expression)."""
    rendered = []
    for severity, code, diagnostics, expression in issues:
        issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
        if expression:
            issue["expression"] = [expression]
        rendered.append(issue)
    return {"resourceType": "OperationOutcome", "issue": rendered}


def resource_id(external_id: str) -> str:
    """The logical id of a result: its external id when FHIR allows it, else a digest."""
    if FHIR_ID_RE.fullmatch(external_id):
        return external_id
    return "r-" + hashlib.sha256(external_id.encode()).hexdigest()[:40]


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class StoredResult(Protocol):
    """What rendering needs of a stored result version (the results repository's row fits)."""

    @property
    def external_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def person_external_id(self) -> str: ...
    @property
    def test_type(self) -> str: ...
    @property
    def result(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def specimen_collected_at(self) -> datetime: ...
    @property
    def resulted_at(self) -> datetime | None: ...
    @property
    def loinc(self) -> str: ...
    @property
    def values(self) -> dict[str, Any] | None: ...
    @property
    def performer(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...
    @property
    def recorded_at(self) -> datetime: ...


def _value(row: StoredResult) -> dict[str, Any]:
    result = row.result
    if result is None:
        return {}
    kind = t.test_kind(row.test_type)
    code, display = t.SNOMED_FOR_RESULT.get((kind, result), ("", result))
    concept: dict[str, Any] = {"text": result}
    if code:
        concept["coding"] = [{"system": SNOMED_URI, "code": code, "display": display}]
    flag = _INTERPRETATION[ResultValue(result)]
    return {
        "valueCodeableConcept": concept,
        "interpretation": [{"coding": [{"system": _INTERPRETATION_URI, "code": flag}]}],
    }


def _components(values: dict[str, Any] | None) -> list[dict[str, Any]]:
    parts = []
    for name, measured in sorted((values or {}).items()):
        code, display = _VALUE_CODES.get(name, ("", name))
        concept: dict[str, Any] = {"text": name}
        if code:
            concept["coding"] = [{"system": LOINC_URI, "code": code, "display": display}]
        parts.append(
            {
                "code": concept,
                "valueQuantity": {"value": measured["value"], "unit": measured["unit"]},
            }
        )
    return parts


def observation(row: StoredResult) -> dict[str, Any]:
    """A stored result version as a FHIR Observation."""
    test_type = row.test_type
    category = "imaging" if test_type == TestType.CHEST_CT else "laboratory"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id(row.external_id),
        "meta": {"versionId": str(row.version), "lastUpdated": _instant(row.recorded_at)},
        "identifier": [{"value": row.external_id}],
        "status": t.FHIR_STATUS_FOR[row.status],
        "category": [{"coding": [{"system": _CATEGORY_URI, "code": category}]}],
        "code": {
            "coding": [
                {"system": LOINC_URI, "code": row.loinc or TESTS[TestType(test_type)].loinc}
            ],
            "text": test_type,
        },
        "subject": {"identifier": {"value": row.person_external_id}},
        "effectiveDateTime": _instant(row.specimen_collected_at),
        **_value(row),
    }
    if row.resulted_at is not None:
        resource["issued"] = _instant(row.resulted_at)
    if row.performer:
        resource["performer"] = [{"display": row.performer}]
    if row.note:
        resource["note"] = [{"text": row.note}]
    if row.values:
        resource["component"] = _components(row.values)
    return resource


def response_entry(
    status: str, *, location: str = "", issue: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One entry of a batch-response or transaction-response Bundle."""
    response: dict[str, Any] = {"status": status}
    if location:
        response["location"] = location
    if issue is not None:
        response["outcome"] = issue
    return {"response": response}


def response_bundle(kind: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A `batch-response` or `transaction-response` Bundle."""
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def searchset(
    resources: list[dict[str, Any]], next_url: str | None, self_url: str
) -> dict[str, Any]:
    """A searchset Bundle of Observations, with a `next` link while more remain."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {"fullUrl": f"Observation/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }


def capability_statement(now: datetime) -> dict[str, Any]:
    """What this server does with FHIR R4."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now.isoformat(),
        "publisher": "WardGate",
        "kind": "instance",
        "software": {"name": "WardGate screening", "version": "0.1.0"},
        "implementation": {"description": "WardGate screening results (FHIR R4 facade)"},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Bearer JWT with the integration role; see docs/integration.md.",
                "security": {"description": "OAuth2-style bearer tokens (RS256/ES256 JWT)."},
                "resource": [
                    {
                        "type": "Observation",
                        "interaction": [{"code": "create"}, {"code": "search-type"}],
                        "versioning": "versioned",
                        "searchParam": [
                            {
                                "name": "subject:identifier",
                                "type": "token",
                                "documentation": "The person's external id (required).",
                            },
                            {"name": "code", "type": "token", "documentation": "A LOINC code."},
                            {"name": "_count", "type": "number"},
                        ],
                    },
                    {"type": "DiagnosticReport", "documentation": "Accepted inside Bundles."},
                ],
                "interaction": [{"code": "batch"}, {"code": "transaction"}],
            }
        ],
    }
