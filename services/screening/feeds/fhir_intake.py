"""Receiving FHIR R4: one Observation, or a Bundle of Observations and DiagnosticReports.

Each Observation (with its components and members) or DiagnosticReport (with its results) is
one unit, stored whole through `intake.take_unit`. A batch, collection or message Bundle is
answered entry by entry; a transaction is all or nothing. An entry that another entry names
(a result, a member) is reported with that unit, once, and its answer says which unit and
shares its fate; a loop of members is refused, never dropped. Entries of other resource
types are answered "not read" (`fhir_read`); observations of other tests are counted in the
unit's answer, and a unit with nothing else is answered 200 "nothing stored or held".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session

from services.screening.feeds import fhir_render as render
from services.screening.feeds.fhir_mapping import (
    DiagnosticReport,
    Observation,
    Resolver,
    observation_group,
    report_group,
    require_ids,
)
from services.screening.feeds.fhir_read import READ, Entry, Unreadable, read_bundle, validated
from services.screening.feeds.findings import FeedError, Group, interpret_group
from services.screening.feeds.intake import Feeder, Patient, UnitOutcome, take_unit

BUNDLE_TYPES = ("batch", "transaction", "collection", "message")
_ISSUE_TYPES = {
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


def parse_json(data: bytes) -> Any:
    """The body as JSON; Unreadable for anything else (NUL bytes and bad UTF-8 included)."""
    if b"\x00" in data:
        raise Unreadable("The body contains NUL bytes.")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Unreadable("The body is not valid JSON.") from exc


def unreadable_answer(exc: Unreadable) -> Answer:
    """400 with every validation issue."""
    issues = [("error", "structure", exc.detail, "")]
    issues += [("error", "invalid", msg, path) for path, msg in exc.issues]
    return Answer(400, render.outcome_of(issues))


def _error_outcome(exc: FeedError) -> dict[str, Any]:
    return render.outcome("error", _ISSUE_TYPES.get(exc.code, "processing"), exc.detail, exc.where)


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


def _take(
    session: Session, patient: Patient, group: Group, feeder: Feeder, ref: str, now: datetime
) -> Taken:
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


def _location(ref: dict[str, Any]) -> str:
    return f"Observation/{render.resource_id(ref['external_id'])}/_history/{ref['version']}"


def _entry(taken: Taken) -> dict[str, Any]:
    outcome = taken.outcome
    if outcome.stored:
        location = _location(outcome.stored[0])
        if not (taken.ignored or taken.details):
            return render.response_entry("201 Created", location=location)
        info = render.outcome_of(taken.issues()[1:])
        return render.response_entry("201 Created", location=location, issue=info)
    info = render.outcome_of(taken.issues())
    if outcome.held:
        return render.response_entry("202 Accepted", issue=info)
    location = _location(outcome.duplicates[0]) if outcome.duplicates else ""
    return render.response_entry("200 OK", location=location, issue=info)


def take_observation(
    session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> Answer:
    """`POST /fhir/Observation`: 201 stored, 200 a retry, 202 held in the inbox, else 4xx."""
    try:
        obs = validated(document, Observation)
    except Unreadable as exc:
        return unreadable_answer(exc)
    resolver = Resolver()
    resolver.add(obs)
    try:
        with session.begin_nested():
            patient, group = observation_group(obs, resolver, zone)
            taken = _take(session, patient, group, feeder, "Observation", now)
    except FeedError as exc:
        return Answer(422, _error_outcome(exc))
    outcome = taken.outcome
    if outcome.stored or outcome.duplicates:
        ref = (outcome.stored or outcome.duplicates)[0]
        status = 201 if outcome.stored else 200
        return Answer(status, render.observation(ref["row"]), _location(ref), [outcome])
    info = render.outcome_of(taken.issues())
    return Answer(202 if outcome.held else 200, info, outcomes=[outcome])


def _named(resource: Any, resolver: Resolver) -> list[Any]:
    """What an entry names as its results or members, its contained Observations included."""
    if isinstance(resource, DiagnosticReport):
        found = [resolver.find(ref, resource) for ref in resource.result or []]
    else:
        found = resolver.members(resource)
    for inner in resource.contained or []:
        if isinstance(inner, Observation):
            found.extend(resolver.members(inner))
    return found


def _roots(units: dict[int, Any], resolver: Resolver) -> list[int]:
    """Entries that no other entry names: each is reported as a unit of its own."""
    entries = {id(resource) for resource in units.values()}
    named = {
        id(target)
        for resource in units.values()
        for target in _named(resource, resolver)
        if id(target) in entries and target is not resource
    }
    return [index for index, resource in units.items() if id(resource) not in named]


def _unit(resource: Any, resolver: Resolver, zone: tzinfo, index: int) -> tuple[Patient, Group]:
    if isinstance(resource, DiagnosticReport):
        return report_group(resource, resolver, zone, index)
    return observation_group(resource, resolver, zone, index)


def _informational(text: str) -> dict[str, Any]:
    return render.response_entry(
        "200 OK", issue=render.outcome("information", "informational", text)
    )


@dataclass
class _Entries:
    """A Bundle's answers as its units are taken, in any order; read back in entry order."""

    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    refused: dict[int, FeedError] = field(default_factory=dict)
    outcomes: list[UnitOutcome] = field(default_factory=list)

    def refuse(self, index: int, exc: FeedError) -> None:
        self.refused[index] = exc
        status = "404 Not Found" if exc.code == "not-found" else "422 Unprocessable Entity"
        self.answers[index] = render.response_entry(status, issue=_error_outcome(exc))

    def member(self, index: int, unit: int) -> None:
        """An entry reported with another entry's unit shares that unit's fate."""
        refused = self.refused.get(unit)
        if refused is None:
            self.answers[index] = _informational(f"reported with Bundle.entry[{unit}]")
            return
        status = "404 Not Found" if refused.code == "not-found" else "422 Unprocessable Entity"
        text = f"reported with Bundle.entry[{unit}], which was refused: {refused.detail}"
        issue = render.outcome("error", _ISSUE_TYPES.get(refused.code, "processing"), text)
        self.answers[index] = render.response_entry(status, issue=issue)


def _take_entry(
    session: Session,
    taken: _Entries,
    index: int,
    resource: Any,
    context: tuple[Resolver, Feeder, tzinfo, datetime],
) -> None:
    resolver, feeder, zone, now = context
    try:
        with session.begin_nested():
            patient, group = _unit(resource, resolver, zone, index)
            if not group.observations and group.elsewhere:
                units = ", ".join(f"Bundle.entry[{u}]" for u in group.elsewhere)
                taken.answers[index] = _informational(f"its results are reported with {units}")
                return
            unit = _take(session, patient, group, feeder, f"Bundle.entry[{index}]", now)
    except FeedError as exc:
        taken.refuse(index, exc)
        return
    taken.outcomes.append(unit.outcome)
    taken.answers[index] = _entry(unit)


def _not_read(entry: Entry) -> dict[str, Any]:
    """The answer for an entry WardGate does not read, or does not store."""
    where = f"Bundle.entry[{entry.index}]"
    if not entry.kind:
        text = "no resource"
    elif entry.kind not in READ:
        text = f"{where}: {entry.kind} not read"
    else:
        text = f"{entry.kind} is not stored (only Observation and DiagnosticReport are)"
    issue = render.outcome("information", "informational", text, where)
    return render.response_entry("200 OK", issue=issue)


def _with_not_read(answer: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """Add what the entry contains but WardGate does not read to its answer's outcome."""
    if not entry.not_read:
        return answer
    where = f"Bundle.entry[{entry.index}]"
    outcome = answer["response"].setdefault("outcome", render.outcome_of([]))
    outcome["issue"] += [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"{where}.{label} not read",
        }
        for label in entry.not_read
    ]
    return answer


def _bundle_entries(
    session: Session, bundle: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, FeedError]], list[UnitOutcome]]:
    resolver = Resolver()
    for item in bundle.entries:
        if item.resource is not None:
            resolver.add(item.resource, item.full_url)
    units = {
        item.index: item.resource
        for item in bundle.entries
        if isinstance(item.resource, (Observation, DiagnosticReport))
    }
    taken = _Entries()
    context = (resolver, feeder, zone, now)
    for index in _roots(units, resolver):
        _take_entry(session, taken, index, units[index], context)
    # Entries named only from inside a loop are nobody's member: taken on their own (after
    # the roots), their walk meets the loop and refuses it, so none is dropped in silence.
    for index, resource in units.items():
        if index not in taken.answers and id(resource) not in resolver.claimed:
            _take_entry(session, taken, index, resource, context)
    entries: list[dict[str, Any]] = []
    for item in bundle.entries:
        index = item.index
        if index not in taken.answers and index in units:
            taken.member(index, resolver.claimed[id(item.resource)])
        answer = taken.answers[index] if index in taken.answers else _not_read(item)
        entries.append(_with_not_read(answer, item))
    return entries, sorted(taken.refused.items()), taken.outcomes


def take_bundle(
    session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> Answer:
    """`POST /fhir`: a batch/transaction-response Bundle; a failed transaction stores nothing."""
    try:
        bundle = read_bundle(document)
    except Unreadable as exc:
        return unreadable_answer(exc)
    if bundle.type not in BUNDLE_TYPES:
        detail = f"Bundle.type {bundle.type} is not taken (batch, transaction, collection, message)"
        return Answer(422, render.outcome("error", "not-supported", detail, "Bundle.type"))
    if bundle.type != "transaction":
        entries, _errors, outcomes = _bundle_entries(session, bundle, feeder, zone, now)
        return Answer(200, render.response_bundle("batch-response", entries), outcomes=outcomes)
    savepoint = session.begin_nested()
    entries, errors, outcomes = _bundle_entries(session, bundle, feeder, zone, now)
    if errors:
        savepoint.rollback()
        issues = [
            ("error", _ISSUE_TYPES.get(e.code, "processing"), e.detail, f"Bundle.entry[{i}]")
            for i, e in errors
        ]
        return Answer(422, render.outcome_of(issues))
    savepoint.commit()
    return Answer(200, render.response_bundle("transaction-response", entries), outcomes=outcomes)
