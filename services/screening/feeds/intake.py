"""Storing what a feed sent: the same path as `POST /results`, or the inbox when it cannot.

One unit (an HL7 message, a FHIR Observation or DiagnosticReport) is taken whole: its
findings are validated as `POST /results` validates them, then stored with
`recording.record_result` (versions, retries, alerts) and audited like `POST /results`.
A result whose person is unknown, or whose code is not mapped, is held in the inbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from services.screening.domain.versions import content_hash
from services.screening.feeds import repository as inbox_repo
from services.screening.feeds.findings import HELD, FeedError, Finding
from services.screening.feeds.terminology import CANNOT_OBTAIN
from services.screening.recording import record_result
from services.screening.repository import persons, results
from services.screening.schemas import ResultCreate
from shared.errors import Problem

UNKNOWN_PERSON = "unknown_person"
AMBIGUOUS_PERSON = "ambiguous_person"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

AuditSink = Callable[..., None]


def clean_text(value: str | None, limit: int) -> str | None:
    """Text safe to keep: control characters (NUL included) removed, length bounded."""
    if value is None:
        return None
    cleaned = _CONTROL.sub(" ", value).strip()
    return cleaned[:limit] or None


def usable_identifier(value: str | None) -> bool:
    """True when `value` can be a person or result external id."""
    return bool(value) and _IDENTIFIER.match(value or "") is not None


@dataclass
class Feeder:
    """Who sends (the integration client, or the MLLP listener) and how to audit it."""

    actor: str
    channel: str
    audit: AuditSink


@dataclass
class Patient:
    """The person a unit is about, as the sender identifies them."""

    identifiers: list[str]
    name: str | None = None
    birth_date: str | None = None


@dataclass
class UnitOutcome:
    """What became of one unit."""

    stored: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    held: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0
    questions: int = 0

    def summary(self) -> str:
        """A short sentence for MSA-3 or an OperationOutcome."""
        parts = []
        if self.stored:
            parts.append(f"stored {len(self.stored)}")
        if self.duplicates:
            parts.append(f"already stored {len(self.duplicates)}")
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
    row = {
        "received_at": now,
        "channel": feeder.channel,
        "reason": reason,
        "detail": (finding.detail or reason.replace("_", " "))[:500],
        "state": inbox_repo.HELD,
        "result_external_id": finding.result_id,
        "person_key": patient.identifiers[0] if patient.identifiers else None,
        "person_identifiers": patient.identifiers[:10],
        "patient_name": clean_text(patient.name, 200),
        "birth_date": clean_text(patient.birth_date, 10),
        "code": clean_text(finding.code.label() if finding.code else None, 200),
        "content": content,
        "content_hash": content_hash({**content, "reason": reason}),
        "source_ref": (clean_text(source_ref, 300) or "-"),
        "recorded_by": feeder.actor[:200],
    }
    item_id, created = inbox_repo.hold(session, row)
    if created:
        feeder.audit(
            "inbox.hold",
            f"inbox/{item_id}",
            reason=reason,
            result=finding.result_id,
            test_type=finding.test_type,
        )
    return item_id


def store_result(
    session: Session, item: ResultCreate, feeder_actor: str, audit: AuditSink, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Store one validated result as `POST /results` does (alerts and audit included)."""
    person = persons.get_person(session, item.person_external_id)
    if person is None:
        raise FeedError("the person is not registered", code="unknown_person")
    try:
        row, created = record_result(session, item, person, feeder_actor, now)
    except Problem as exc:
        raise FeedError(exc.detail, code=exc.code) from exc
    audit(
        "result.create" if created else "result.retry",
        f"result/{row['external_id']}/v{row['version']}",
        person=item.person_external_id,
        test_type=item.test_type,
        status=item.status,
    )
    return row, created


def _voids_nothing(session: Session, finding: Finding) -> bool:
    """'Cannot be obtained' voids an earlier version; with none there is nothing to do."""
    if finding.status != CANNOT_OBTAIN:
        return False
    if results.version_history(session, finding.result_id):
        finding.status = "entered_in_error"
        return False
    return True


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
        row, created = store_result(session, item_input, feeder.actor, feeder.audit, now)
        ref = {"external_id": row["external_id"], "version": row["version"], "row": row}
        (outcome.stored if created else outcome.duplicates).append(ref)
    return outcome
