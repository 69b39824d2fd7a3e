"""The gate's one read path: ask screening, apply the discharge rule, keep what was seen.

Used by the check and the discharge use cases alike, so both decide the same way. The screening
call happens before the request touches the database (no lock is held while waiting on the
network).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.discharge.clients.screening import (
    PatientRecord,
    ScreeningClient,
    ScreeningResult,
    ScreeningUnavailable,
)
from services.discharge.domain.discharge_rule import (
    DischargeDecision,
    PatientFacts,
    RuleWindows,
    evaluate_discharge,
    screening_unavailable,
    unknown_patient,
)
from shared.auth.tokens import Principal
from shared.counting import ResultVersion

UNKNOWN_ADMISSION = "unknown"


@dataclass(frozen=True)
class Assessment:
    """A decision with the person and the evidence documents exactly as screening gave them."""

    patient_external_id: str
    decision: DischargeDecision
    record: PatientRecord | None
    evidence: list[dict[str, Any]]
    at: datetime

    @property
    def department(self) -> str | None:
        """The person's department, when screening answered."""
        return self.record.person.department if self.record else None

    @property
    def ward(self) -> str | None:
        """The person's ward, when screening answered."""
        return self.record.person.ward if self.record else None

    @property
    def admission_key(self) -> str:
        """The admission a discharge would end: admitted_at (UTC) or `unknown`."""
        admitted = self.record.person.admitted_at if self.record else None
        return admitted.astimezone(UTC).isoformat() if admitted else UNKNOWN_ADMISSION

    def reasons(self) -> list[dict[str, str]]:
        """The reasons as the contract shows them."""
        return [r.as_dict() for r in self.decision.reasons]


def _version(r: ScreeningResult) -> ResultVersion:
    return ResultVersion(
        external_id=r.external_id,
        version=r.version,
        test_type=r.test_type,
        result=r.result,
        status=r.status,
        specimen_collected_at=r.specimen_collected_at,
        method=r.method,
    )


def _evidence_documents(
    decision: DischargeDecision, results: list[ScreeningResult]
) -> list[dict[str, Any]]:
    by_key = {(r.external_id, r.version): r for r in results}
    documents = []
    for item in decision.evidence:
        seen = by_key[(item.result.external_id, item.result.version)]
        doc = seen.model_dump(mode="json", exclude={"external_id", "person_external_id"})
        documents.append({"result_external_id": seen.external_id, **doc, "used_as": item.used_as})
    return documents


async def assess(
    client: ScreeningClient,
    principal: Principal,
    patient_external_id: str,
    windows: RuleWindows,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Assessment:
    """Fetch the patient's record and decide; fail closed when screening cannot answer."""
    try:
        record = await client.patient_record(principal, patient_external_id)
    except ScreeningUnavailable:
        return Assessment(patient_external_id, screening_unavailable(windows), None, [], clock())
    now = clock()
    if record is None:
        return Assessment(
            patient_external_id, unknown_patient(patient_external_id, windows), None, [], now
        )
    facts = PatientFacts(record.person.external_id, record.person.category)
    decision = evaluate_discharge(facts, [_version(r) for r in record.results], now, windows)
    return Assessment(
        patient_external_id, decision, record, _evidence_documents(decision, record.results), now
    )
