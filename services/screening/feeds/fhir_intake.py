"""Receiving FHIR R4: one Observation, or a Bundle of Observations and DiagnosticReports.

Each Observation (with its components and members) or DiagnosticReport (with its results) is
one unit, stored whole through `intake.take_unit`. A batch, collection or message Bundle is
answered entry by entry; a transaction is all or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session

from services.screening.feeds import fhir_render as render
from services.screening.feeds.fhir_mapping import (
    Bundle,
    DiagnosticReport,
    Observation,
    Resolver,
    Unreadable,
    observation_group,
    report_group,
    validated,
)
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


def _take(
    session: Session, patient: Patient, group: Group, feeder: Feeder, ref: str, now: datetime
) -> UnitOutcome:
    findings = interpret_group(group)
    if not findings and not group.ignored and group.observations:
        return UnitOutcome(questions=1)  # only ask-at-order-entry questions
    if not findings:
        codes = ", ".join(group.ignored[:5]) or "none"
        raise FeedError(
            f"not a screening test (codes: {codes}); nothing stored",
            where="code",
            code="not-supported",
        )
    return take_unit(session, patient, findings, feeder, ref, now)


def _location(ref: dict[str, Any]) -> str:
    return f"Observation/{render.resource_id(ref['external_id'])}/_history/{ref['version']}"


def _entry(outcome: UnitOutcome) -> dict[str, Any]:
    if outcome.stored:
        return render.response_entry("201 Created", location=_location(outcome.stored[0]))
    info = render.outcome("information", "informational", outcome.summary())
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
    try:
        with session.begin_nested():
            patient, group = observation_group(obs, resolver, zone)
            outcome = _take(session, patient, group, feeder, "Observation", now)
    except FeedError as exc:
        return Answer(422, _error_outcome(exc))
    if outcome.stored or outcome.duplicates:
        ref = (outcome.stored or outcome.duplicates)[0]
        status = 201 if outcome.stored else 200
        return Answer(status, render.observation(ref["row"]), _location(ref), [outcome])
    info = render.outcome("information", "informational", outcome.summary())
    return Answer(202 if outcome.held else 200, info, outcomes=[outcome])


def _consumed(bundle: Any, resolver: Resolver) -> set[int]:
    """Observations reported through a DiagnosticReport or a panel's members."""
    seen: set[int] = set()
    for entry in bundle.entry or []:
        resource = entry.resource
        refs = []
        if isinstance(resource, DiagnosticReport):
            refs = resource.result or []
        elif isinstance(resource, Observation):
            refs = resource.hasMember or []
        for ref in refs:
            found = resolver.find(ref, resource)
            if found is not None and found is not resource:
                seen.add(id(found))
    return seen


def _unit(resource: Any, resolver: Resolver, zone: tzinfo) -> tuple[Patient, Group]:
    if isinstance(resource, DiagnosticReport):
        return report_group(resource, resolver, zone)
    return observation_group(resource, resolver, zone)


def _bundle_entries(
    session: Session, bundle: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, FeedError]], list[UnitOutcome]]:
    resolver = Resolver()
    for entry in bundle.entry or []:
        if entry.resource is not None:
            resolver.add(entry.resource, entry.fullUrl)
    consumed = _consumed(bundle, resolver)
    entries: list[dict[str, Any]] = []
    errors: list[tuple[int, FeedError]] = []
    outcomes: list[UnitOutcome] = []
    for index, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        kind = resource.get_resource_type() if resource is not None else "(none)"
        if not isinstance(resource, (Observation, DiagnosticReport)) or id(resource) in consumed:
            why = "reported with its DiagnosticReport or panel" if resource else "no resource"
            if resource is not None and id(resource) not in consumed:
                why = f"{kind} is not stored (only Observation and DiagnosticReport are)"
            info = render.outcome("information", "informational", why)
            entries.append(render.response_entry("200 OK", issue=info))
            continue
        try:
            with session.begin_nested():
                patient, group = _unit(resource, resolver, zone)
                outcome = _take(session, patient, group, feeder, f"Bundle.entry[{index}]", now)
        except FeedError as exc:
            errors.append((index, exc))
            status = "404 Not Found" if exc.code == "not-found" else "422 Unprocessable Entity"
            entries.append(render.response_entry(status, issue=_error_outcome(exc)))
            continue
        outcomes.append(outcome)
        entries.append(_entry(outcome))
    return entries, errors, outcomes


def take_bundle(
    session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> Answer:
    """`POST /fhir`: a batch/transaction-response Bundle; a failed transaction stores nothing."""
    try:
        bundle = validated(document, Bundle)
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
