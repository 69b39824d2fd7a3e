"""Taking what a feed sent: the results use case for each finding, or the inbox when it cannot.

One unit (an HL7 message's patient, a FHIR Observation or DiagnosticReport) is taken whole:
its findings (parsed by `feeds`, which knows nothing of this) are validated as `POST /results`
validates them, then stored and audited by `results.service.record_result` (versions,
retries, alerts). A result whose person is unknown, or whose code is not mapped, is held in
the inbox (`inbox.service.hold`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from services.screening.domain.versions import content_hash
from services.screening.feeds.findings import HELD, RESULT, FeedError, Finding
from services.screening.feeds.patient import Patient, clean_text
from services.screening.feeds.terminology import CANNOT_OBTAIN
from services.screening.inbox import service as inbox
from services.screening.inbox.repository import NewInboxItem
from services.screening.persons import repository as persons
from services.screening.pools import repository as pools
from services.screening.pools.schemas import PoolResultCreate
from services.screening.pools.service import record_pool_result
from services.screening.results.repository import ResultRow
from services.screening.results.schemas import ResultCreate
from services.screening.results.service import AuditLog, Recorded, has_versions, record_result
from shared.errors import NotFound, Problem
from shared.vocabulary import ResultStatus, TestType

# What a laboratory may send for a pool (its preliminary readings are not taken).
POOL_RESULT_STATUSES = frozenset(
    {ResultStatus.FINAL, ResultStatus.CORRECTED, ResultStatus.ENTERED_IN_ERROR}
)

UNKNOWN_PERSON = "unknown_person"
AMBIGUOUS_PERSON = "ambiguous_person"


@dataclass
class Feeder:
    """Who sends (the integration client, or the MLLP listener) and where it is audited."""

    actor: str
    channel: str
    audit: AuditLog


@dataclass
class UnitOutcome:
    """What became of one unit."""

    # The stored result versions, as the results use case returned them.
    stored: list[ResultRow] = field(default_factory=list)
    duplicates: list[ResultRow] = field(default_factory=list)
    held: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0
    questions: int = 0
    # Pools whose result this unit carried (a lab knows the pool, not its members).
    pools: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A short sentence for MSA-3 or an OperationOutcome."""
        parts = []
        if self.stored:
            parts.append(f"stored {len(self.stored)}")
        if self.duplicates:
            parts.append(f"already stored {len(self.duplicates)}")
        if self.pools:
            parts.append("pool result for " + ", ".join(self.pools))
        if self.skipped:
            parts.append(f"no result to void {self.skipped}")
        if self.questions:
            parts.append("an ask-at-order-entry answer, not a result: not stored")
        reasons = sorted({reason for _, reason in self.held})
        if reasons:
            parts.append("held in inbox: " + ", ".join(r.replace("_", " ") for r in reasons))
        return "; ".join(parts) or "nothing to store"


def _validated(finding: Finding, person: str, now: datetime) -> ResultCreate:
    try:
        item = ResultCreate.model_validate(finding.content(person))
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)[:3]
        )
        raise FeedError(f"not a valid result ({fields})", where=finding.where) from exc
    problems = item.problems(now)
    if problems:
        text = "; ".join(f"{p['field']}: {p['msg']}" for p in problems)
        raise FeedError(f"not a valid result ({text})", where=finding.where)
    return item


def _resolve(session: Session, patient: Patient) -> tuple[str | None, str | None]:
    """(registered person, None) or (None, why it is held)."""
    known = persons.persons_by_id(session, patient.identifiers)
    if len(known) == 1:
        return next(iter(known)), None
    return None, (AMBIGUOUS_PERSON if known else UNKNOWN_PERSON)


def _hold(
    session: Session,
    finding: Finding,
    patient: Patient,
    reason: str,
    feeder: Feeder,
    source_ref: str,
    now: datetime,
) -> int:
    content = finding.content(patient.identifiers[0] if patient.identifiers else "")
    item = NewInboxItem(
        received_at=now,
        channel=feeder.channel,
        reason=reason,
        detail=(finding.detail or reason.replace("_", " "))[:500],
        state=inbox.HELD,
        result_external_id=finding.result_id,
        person_key=patient.identifiers[0] if patient.identifiers else None,
        person_identifiers=patient.identifiers[:10],
        patient_name=clean_text(patient.name, 200),
        birth_date=clean_text(patient.birth_date, 10),
        code=clean_text(finding.code.label() if finding.code else None, 200),
        content=content,
        content_hash=content_hash({**content, "reason": reason}),
        source_ref=(clean_text(source_ref, 300) or "-"),
        recorded_by=feeder.actor[:200],
    )
    return inbox.hold(session, item, finding.test_type, feeder.audit, now)


def _store(session: Session, item: ResultCreate, feeder: Feeder, now: datetime) -> Recorded:
    """Store one validated result through the results use case; its problems as FeedErrors."""
    try:
        return record_result(session, item, feeder.actor, feeder.audit, now)
    except NotFound as exc:
        raise FeedError("the person is not registered", code=UNKNOWN_PERSON) from exc
    except Problem as exc:
        raise FeedError(exc.detail, code=exc.code) from exc


def _voids_nothing(session: Session, finding: Finding) -> bool:
    """'Cannot be obtained' voids an earlier version; with none there is nothing to do."""
    if finding.status != CANNOT_OBTAIN:
        return False
    if has_versions(session, finding.result_id):
        finding.status = ResultStatus.ENTERED_IN_ERROR
        return False
    return True


def _pool_named(session: Session, finding: Finding) -> str | None:
    """The known pool a nucleic-acid finding's specimen identifier names, if any."""
    if finding.kind != RESULT or finding.test_type != TestType.NUCLEIC_ACID:
        return None
    if not finding.specimen_ids:
        return None
    known = pools.known_pools(session, finding.specimen_ids)
    return next((i for i in finding.specimen_ids if i in known), None)


def _take_pool_result(
    session: Session, pool_id: str, finding: Finding, feeder: Feeder, now: datetime
) -> None:
    """A pool's result from a feed: applied to the pool's members as `POST /pools/{id}/result`."""
    if finding.status not in POOL_RESULT_STATUSES or finding.result is None:
        raise FeedError(
            f"a pool result ({pool_id}) must be final, corrected or entered in error, with a"
            " negative, positive or indeterminate value",
            where=finding.where,
        )
    try:
        body = PoolResultCreate.model_validate(
            {
                "external_id": finding.result_id,
                "result": finding.result,
                "status": finding.status,
                "resulted_at": finding.resulted_at,
                "performer": finding.performer,
            }
        )
        record_pool_result(session, pool_id, body, feeder.actor, feeder.audit, now)
    except ValidationError as exc:
        raise FeedError(
            f"not a valid pool result ({exc.error_count()} errors)", where=finding.where
        ) from exc
    except Problem as exc:
        raise FeedError(exc.detail, code=exc.code, where=finding.where) from exc


def take_unit(
    session: Session,
    patient: Patient,
    findings: list[Finding],
    feeder: Feeder,
    source_ref: str,
    now: datetime,
) -> UnitOutcome:
    """Store or hold every finding of one unit; FeedError when any of it is not valid."""
    outcome = UnitOutcome()
    rest = []
    for finding in findings:  # a pool's result, whatever the patient fields say
        pool_id = _pool_named(session, finding)
        if pool_id is None:
            rest.append(finding)
        else:
            _take_pool_result(session, pool_id, finding, feeder, now)
            outcome.pools.append(pool_id)
    if not rest:
        return outcome
    findings = rest
    if not patient.identifiers:
        raise FeedError("the patient has no usable identifier", code="required")
    person, why = _resolve(session, patient)
    for finding in findings:
        if finding.kind == HELD or _voids_nothing(session, finding):
            if finding.kind == HELD:
                item = _hold(
                    session, finding, patient, str(finding.reason), feeder, source_ref, now
                )
                outcome.held.append((item, str(finding.reason)))
            else:
                outcome.skipped += 1
            continue
        item_input = _validated(finding, person or patient.identifiers[0], now)
        if person is None:
            item = _hold(session, finding, patient, str(why), feeder, source_ref, now)
            outcome.held.append((item, str(why)))
            continue
        row, created = _store(session, item_input, feeder, now)
        (outcome.stored if created else outcome.duplicates).append(row)
    return outcome
