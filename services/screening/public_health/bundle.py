"""The documents a report leaves in: a FHIR R4 Bundle (validated by fhir.resources before it
leaves) or an HL7 v2.5.1 ORU^R01 message. Built from the stored result version and person.

Identifiers are stable: the same report makes the same Bundle on every attempt (its
`identifier` and every `fullUrl` are derived from the report id), so a receiver can dedupe
retries on `Bundle.identifier`. See docs/integration.md for the public-health side.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from fhir.resources.R4B.bundle import Bundle

from services.screening.feeds.hl7.ack import escape, hl7_time
from services.screening.feeds.terminology import FHIR_STATUS_FOR, LOINC, test_code
from services.screening.public_health.repository import ReportedPerson
from services.screening.results.repository import ResultRow
from shared.vocabulary import ResultStatus, ResultValue

SYSTEM: Final = "urn:wardgate"
PERSON_SYSTEM: Final = f"{SYSTEM}:person"
RESULT_SYSTEM: Final = f"{SYSTEM}:result"
REPORT_SYSTEM: Final = f"{SYSTEM}:public-health-report"
KIND_SYSTEM: Final = f"{SYSTEM}:report-kind"
ORGANIZATION_SYSTEM: Final = f"{SYSTEM}:organization"
# The resident identity card number (公民身份号码), as China's health information standards name it.
ID_CARD_SYSTEM: Final = "urn:oid:2.16.156.10011.1.1"
LOINC_URI: Final = "http://loinc.org"
SNOMED_URI: Final = "http://snomed.info/sct"
DEFAULT_LAB: Final = "WardGate hospital laboratory"
_NAMESPACE: Final = uuid.UUID("6f1c4a52-9d0e-4f7b-8a61-3c2e5b7d9a10")

# SARS-CoV-2 nucleic acid: Detected / Not detected / Inconclusive (SNOMED CT).
RESULT_CODES: Final[dict[str, tuple[str, str]]] = {
    ResultValue.POSITIVE: ("260373001", "Detected"),
    ResultValue.NEGATIVE: ("260415000", "Not detected"),
    ResultValue.INDETERMINATE: ("419984006", "Inconclusive"),
}
# OBX-11 / OBR-25 for a result status (W: the earlier result was wrong, entered in error).
HL7_STATUS: Final[dict[str, str]] = {
    ResultStatus.FINAL: "F",
    ResultStatus.CORRECTED: "C",
    ResultStatus.ENTERED_IN_ERROR: "W",
    ResultStatus.PRELIMINARY: "P",
}


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at is not None else None


def _urn(report_id: int, part: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{report_id}/{part}')}"


def _loinc(code: str) -> dict[str, str]:
    known = test_code(LOINC, code)
    coding = {"system": LOINC_URI, "code": code}
    if known is not None:
        coding["display"] = known.display
    return coding


def _patient(person: ReportedPerson) -> dict[str, Any]:
    identifiers = [{"use": "usual", "system": PERSON_SYSTEM, "value": person.external_id}]
    if person.id_number:
        identifiers.append({"use": "official", "system": ID_CARD_SYSTEM, "value": person.id_number})
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{"text": person.name}],
    }
    if person.phone:
        patient["telecom"] = [{"system": "phone", "value": person.phone}]
    return patient


def _organization(row: ResultRow) -> dict[str, Any]:
    name = row.performer or DEFAULT_LAB
    return {
        "resourceType": "Organization",
        "identifier": [{"system": ORGANIZATION_SYSTEM, "value": name[:64]}],
        "name": name,
    }


def _observation(row: ResultRow, urls: dict[str, str]) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": RESULT_SYSTEM, "value": f"{row.external_id}/{row.version}"}],
        "status": FHIR_STATUS_FOR[row.status],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [_loinc(row.loinc)]},
        "subject": {"reference": urls["patient"]},
        "effectiveDateTime": _iso(row.specimen_collected_at),
        "issued": _iso(row.resulted_at or row.recorded_at),
        "performer": [{"reference": urls["organization"]}],
        "specimen": {"reference": urls["specimen"]},
    }
    coded = RESULT_CODES.get(row.result or "")
    if coded is not None and row.status != ResultStatus.ENTERED_IN_ERROR:
        observation["valueCodeableConcept"] = {
            "coding": [{"system": SNOMED_URI, "code": coded[0], "display": coded[1]}]
        }
    if row.note:
        observation["note"] = [{"text": row.note[:2000]}]
    return observation


def report_bundle(
    report_id: int, kind: str, row: ResultRow, person: ReportedPerson, now: datetime
) -> Bundle:
    """The report as a validated FHIR R4 Bundle (`collection`); ValueError when it is not valid."""
    urls = {part: _urn(report_id, part) for part in ("patient", "observation", "specimen", "org")}
    urls["organization"] = urls["org"]
    specimen = {
        "resourceType": "Specimen",
        "identifier": [{"system": RESULT_SYSTEM, "value": row.external_id}],
        "subject": {"reference": urls["patient"]},
        "receivedTime": _iso(row.recorded_at),
        "collection": {"collectedDateTime": _iso(row.specimen_collected_at)},
    }
    resources = [
        (urls["patient"], _patient(person)),
        (urls["observation"], _observation(row, urls)),
        (urls["specimen"], specimen),
        (urls["org"], _organization(row)),
    ]
    plain = {
        "resourceType": "Bundle",
        "meta": {"tag": [{"system": KIND_SYSTEM, "code": kind}]},
        "identifier": {"system": REPORT_SYSTEM, "value": f"report-{report_id}"},
        "type": "collection",
        "timestamp": _iso(now),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources],
    }
    return Bundle.model_validate(plain)  # pydantic's ValidationError is a ValueError


def bundle_body(bundle: Bundle) -> bytes:
    """The Bundle as the JSON that is POSTed."""
    return json.dumps(
        json.loads(bundle.model_dump_json(exclude_none=True)), ensure_ascii=False
    ).encode()


def _segment(name: str, fields: dict[int, str]) -> str:
    values = [""] * max(fields)
    for index, value in fields.items():
        values[index - 1] = value
    return "|".join([name, *values])


def oru_message(
    report_id: int, kind: str, row: ResultRow, person: ReportedPerson, now: datetime
) -> str:
    """The report as an HL7 v2.5.1 ORU^R01 message (segments separated by CR)."""
    status = HL7_STATUS.get(row.status, "F")
    coded = RESULT_CODES.get(row.result or "")
    value = f"{coded[0]}^{coded[1]}^SCT" if coded and status != "W" else ""
    loinc = _loinc(row.loinc)
    test = f"{escape(loinc['code'])}^{escape(loinc.get('display', ''))}^LN"
    ids = f"{escape(person.external_id)}^^^WARDGATE^PI"
    if person.id_number:
        ids += f"~{escape(person.id_number)}^^^CHN^NNCHN"
    lab = escape(row.performer or DEFAULT_LAB)
    collected = hl7_time(row.specimen_collected_at.astimezone(UTC))
    resulted = hl7_time((row.resulted_at or row.recorded_at).astimezone(UTC))
    filler = escape(row.external_id)
    msh = (
        f"MSH|^~\\&|WARDGATE|{lab}|PUBLIC_HEALTH||{hl7_time(now.astimezone(UTC))}||"
        f"ORU^R01^ORU_R01|WG-R{report_id}|P|2.5.1|||NE|NE|CHN|UNICODE UTF-8"
    )
    segments = [
        msh,
        _segment("PID", {1: "1", 3: ids, 5: escape(person.name), 13: escape(person.phone or "")}),
        _segment("ORC", {1: "RE", 3: filler, 21: lab}),
        _segment("OBR", {1: "1", 3: filler, 4: test, 7: collected, 22: resulted, 25: status}),
        _segment(
            "OBX",
            {1: "1", 2: "CWE", 3: test, 5: value, 11: status, 14: collected, 19: resulted, 23: lab},
        ),
        _segment("NTE", {1: "1", 2: "L", 3: f"WardGate report {escape(kind)} {report_id}"}),
        _segment("SPM", {1: "1", 2: filler, 17: collected}),
    ]
    return "\r".join(segments) + "\r"
