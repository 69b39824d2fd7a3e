"""Receiving FHIR R4 (one Observation, or a Bundle) and reading results back as Observations.

Each Observation (with its components and members) or DiagnosticReport (with its results) is
one unit, stored whole through the intake (`fhir/units.py`). A batch, collection or message
Bundle is answered entry by entry (`fhir/bundle.py`); a transaction is all or nothing.
Observations of other tests are counted in the unit's answer, and a unit with nothing else
is answered 200 "nothing stored or held". Every answer is audited here.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session

from services.screening.feeds.fhir import render
from services.screening.feeds.fhir.mapping import Observation, Resolver, observation_group
from services.screening.feeds.fhir.read import Unreadable, read_bundle, validated
from services.screening.feeds.findings import FeedError
from services.screening.fhir.bundle import bundle_entries
from services.screening.fhir.units import (
    ISSUE_TYPES,
    Answer,
    error_outcome,
    location,
    take_group,
    unreadable_answer,
)
from services.screening.intake.service import Feeder
from services.screening.persons import repository as persons
from services.screening.results import repository as results
from services.screening.results.repository import ResultRow
from services.screening.results.service import AuditLog

__all__ = ["Answer", "person_observations", "refuse_unreadable", "take_bundle", "take_observation"]

BUNDLE_TYPES = ("batch", "transaction", "collection", "message")
OBSERVATION = "fhir.observation"
BUNDLE = "fhir.bundle"


def _audited(answer: Answer, audit: AuditLog, action: str) -> Answer:
    stored = sum(len(o.stored) for o in answer.outcomes)
    held = sum(len(o.held) for o in answer.outcomes)
    outcome = "ok" if answer.status < 400 else "error"
    audit.record(action, "fhir", outcome=outcome, status=answer.status, stored=stored, held=held)
    return answer


def refuse_unreadable(exc: Unreadable, status: int, audit: AuditLog, action: str) -> Answer:
    """The audited answer to a body not read (400, or 415 for a content type not taken)."""
    answer = unreadable_answer(exc)
    answer.status = status
    return _audited(answer, audit, action)


def _observation(
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
            taken = take_group(session, patient, group, feeder, "Observation", now)
    except FeedError as exc:
        return Answer(422, error_outcome(exc))
    outcome = taken.outcome
    if outcome.stored or outcome.duplicates:
        ref = (outcome.stored or outcome.duplicates)[0]
        status = 201 if outcome.stored else 200
        return Answer(status, render.observation(ref), location(ref), [outcome])
    info = render.outcome_of(taken.issues())
    return Answer(202 if outcome.held else 200, info, outcomes=[outcome])


def take_observation(
    session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> Answer:
    """`POST /fhir/Observation`: 201 stored, 200 a retry, 202 held in the inbox, else 4xx."""
    return _audited(_observation(session, document, feeder, zone, now), feeder.audit, OBSERVATION)


def _bundle(session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime) -> Answer:
    """`POST /fhir`: a batch/transaction-response Bundle; a failed transaction stores nothing."""
    try:
        bundle = read_bundle(document)
    except Unreadable as exc:
        return unreadable_answer(exc)
    if bundle.type not in BUNDLE_TYPES:
        detail = f"Bundle.type {bundle.type} is not taken (batch, transaction, collection, message)"
        return Answer(422, render.outcome("error", "not-supported", detail, "Bundle.type"))
    if bundle.type != "transaction":
        entries, _errors, outcomes = bundle_entries(session, bundle, feeder, zone, now)
        return Answer(200, render.response_bundle("batch-response", entries), outcomes=outcomes)
    savepoint = session.begin_nested()
    entries, errors, outcomes = bundle_entries(session, bundle, feeder, zone, now)
    if errors:
        savepoint.rollback()
        issues = [
            ("error", ISSUE_TYPES.get(e.code, "processing"), e.detail, f"Bundle.entry[{i}]")
            for i, e in errors
        ]
        return Answer(422, render.outcome_of(issues))
    savepoint.commit()
    return Answer(200, render.response_bundle("transaction-response", entries), outcomes=outcomes)


def take_bundle(
    session: Session, document: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> Answer:
    """`POST /fhir`: a batch/transaction-response Bundle; a failed transaction stores nothing."""
    return _audited(_bundle(session, document, feeder, zone, now), feeder.audit, BUNDLE)


def person_observations(
    session: Session,
    audit: AuditLog,
    person: str,
    *,
    test_type: str | None,
    size: int,
    after_id: int | None,
) -> list[ResultRow]:
    """Up to `size + 1` latest result versions of `person` (none when unknown), audited."""
    rows: list[ResultRow] = []
    if persons.person_exists(session, person):
        rows = results.list_results(
            session,
            person,
            size=size,
            after_id=after_id,
            test_type=test_type,
            include_history=False,
        )
    audit.record("result.read", f"person/{person}", via="fhir", test_type=test_type)
    return rows
