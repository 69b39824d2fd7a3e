"""One FHIR unit taken: an Observation (with its members) or a DiagnosticReport (with its
results) through the intake, and the answer it gets (a Bundle entry or a whole response).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services.screening.feeds.fhir import render
from services.screening.feeds.fhir.mapping import require_ids
from services.screening.feeds.fhir.read import Unreadable
from services.screening.feeds.findings import FeedError, Group, interpret_group
from services.screening.feeds.patient import Patient
from services.screening.intake.service import Feeder, UnitOutcome, take_unit
from services.screening.results.repository import ResultRow

ISSUE_TYPES = {
    "required": "required",
    "value": "value",
    "not-found": "not-found",
    "not-supported": "not-supported",
    "unknown_person": "not-found",
    "unknown_result": "not-found",
    "result_conflict": "conflict",
    "loop": "invariant",
}


@dataclass
class Answer:
    """An HTTP status, a FHIR resource to answer with and, for a creation, its location."""

    status: int
    body: dict[str, Any]
    location: str = ""
    outcomes: list[UnitOutcome] = field(default_factory=list)


def unreadable_answer(exc: Unreadable) -> Answer:
    """400 with every validation issue."""
    issues = [("error", "structure", exc.detail, "")]
    issues += [("error", "invalid", msg, path) for path, msg in exc.issues]
    return Answer(400, render.outcome_of(issues))


def error_outcome(exc: FeedError) -> dict[str, Any]:
    """The OperationOutcome of a unit refused for `exc`."""
    return render.outcome("error", ISSUE_TYPES.get(exc.code, "processing"), exc.detail, exc.where)


def _counted(what: str, codes: list[str]) -> str:
    """`ignored 2 observations ...: 92142-9 (LN), 92141-1 (LN)` (at most ten codes named)."""
    plural = "s" if len(codes) > 1 else ""
    return f"{what.format(n=len(codes), s=plural)}: {', '.join(dict.fromkeys(codes[:10]))}"


@dataclass
class Taken:
    """What became of one unit, and what of it was not stored as a result of its own."""

    outcome: UnitOutcome
    ignored: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def issues(self) -> list[tuple[str, str, str, str]]:
        """Informational issues: the outcome, what was ignored, what was taken as detail."""
        texts = [self.outcome.summary()]
        if self.ignored:
            ignored = _counted(
                "ignored {n} observation{s}, not screening results (other tests; not held)",
                self.ignored,
            )
            if texts == ["nothing to store"]:
                texts = [f"nothing stored or held; {ignored}"]
            else:
                texts.append(ignored)
        if self.details:
            texts.append(_counted("{n} observation{s} taken as detail of the result", self.details))
        return [("information", "informational", text, "") for text in texts]


def take_group(
    session: Session, patient: Patient, group: Group, feeder: Feeder, ref: str, now: datetime
) -> Taken:
    """Take one unit's group: its findings stored or held, other tests counted."""
    findings = interpret_group(group)
    require_ids(findings)
    if not findings and not group.ignored and group.observations:
        return Taken(UnitOutcome(questions=1))  # only ask-at-order-entry questions
    if not findings and not group.ignored:
        raise FeedError(
            "no observation to read (a panel whose members are not in the message?); "
            "nothing stored",
            where="code",
            code="not-supported",
        )
    # Results of other tests (flu, RSV, antigen...) are not WardGate's: counted, not refused.
    outcome = take_unit(session, patient, findings, feeder, ref, now) if findings else UnitOutcome()
    return Taken(outcome, list(group.ignored), list(group.details))


def location(row: ResultRow) -> str:
    """`Observation/<id>/_history/<version>` of a stored result version."""
    return f"Observation/{render.resource_id(row.external_id)}/_history/{row.version}"


def entry_answer(taken: Taken) -> dict[str, Any]:
    """A Bundle entry's response for a unit taken: 201 stored, 202 held, 200 otherwise."""
    outcome = taken.outcome
    if outcome.stored:
        created = location(outcome.stored[0])
        if not (taken.ignored or taken.details):
            return render.response_entry("201 Created", location=created)
        info = render.outcome_of(taken.issues()[1:])
        return render.response_entry("201 Created", location=created, issue=info)
    info = render.outcome_of(taken.issues())
    if outcome.held:
        return render.response_entry("202 Accepted", issue=info)
    stored = location(outcome.duplicates[0]) if outcome.duplicates else ""
    return render.response_entry("200 OK", location=stored, issue=info)
