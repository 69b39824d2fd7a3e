"""Isolation of a person: isolate (on a positive or by hand), release, list (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.screening.domain.isolation import (
    IsolationState,
    ReleaseRefusal,
    release_refusals,
)
from services.screening.follow_ups.repository import convert_active
from services.screening.isolation import repository
from services.screening.isolation.repository import IsolatedPerson, IsolationRow
from services.screening.persons.repository import person_exists
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import Conflict, NotFound

REFUSAL_WORDS = {
    ReleaseRefusal.NOT_ISOLATED: "The person is not isolated.",
    ReleaseRefusal.NEGATIVES_MISSING: (
        "Two individual negative nucleic acid results (final or corrected), collected after "
        "the last positive, are needed."
    ),
    ReleaseRefusal.NEGATIVES_TOO_CLOSE: (
        "The two negative nucleic acid results after the last positive were collected less "
        "than 24 hours apart."
    ),
}


@dataclass(frozen=True)
class Isolation:
    """A person's isolation state as answered, and whether this call isolated them."""

    person_external_id: str
    state: IsolationState
    since: datetime | None = None
    reason: str | None = None
    released_at: datetime | None = None
    changed: bool = False

    @classmethod
    def of(cls, person: str, row: IsolationRow | None, changed: bool = False) -> Isolation:
        """The state a newest event (or none) stands for."""
        if row is None:
            return cls(person, IsolationState.NONE, changed=changed)
        return cls(
            person, IsolationState(row.state), row.since, row.reason, row.released_at, changed
        )


def isolate(
    session: Session,
    person: str,
    reason: str,
    now: datetime,
    by: str,
    result_external_id: str | None = None,
) -> bool:
    """Isolate the person unless isolated already; their active follow-up converts.
    Returns True when this call isolated them."""
    return bool(isolate_many(session, {person: result_external_id}, reason, now, by))


def isolate_many(
    session: Session, results: dict[str, str | None], reason: str, now: datetime, by: str
) -> set[str]:
    """Isolate each person of `results` (person -> the result that isolates them) who is not
    isolated already, and convert their active follow-ups; set-based. Returns who was isolated."""
    newly = set(results) - repository.isolated_among(session, results)
    repository.add_events(
        session,
        [
            {
                "person_external_id": person,
                "state": IsolationState.ISOLATED,
                "reason": reason,
                "since": now,
                "result_external_id": results[person],
                "recorded_at": now,
                "recorded_by": by,
            }
            for person in sorted(newly)
        ],
    )
    convert_active(session, newly, by, now)
    return newly


def _known(session: Session, person: str) -> None:
    if not person_exists(session, person):
        raise NotFound("No person with this external_id.", code="unknown_person")


def isolate_by_hand(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    person: str,
    reason: str,
    now: datetime,
) -> Isolation:
    """Isolate a person by hand (audited); isolated already: their state, unchanged."""
    _known(session, person)
    changed = isolate(session, person, reason, now, principal.sub)
    audit.record("isolation.isolate", f"person/{person}", "ok" if changed else "already_isolated")
    return Isolation.of(person, repository.isolation_of(session, person), changed)


def release(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    person: str,
    note: str | None,
    now: datetime,
) -> Isolation:
    """Release a person under the two-negatives rule (audited), else 409 with the reasons."""
    _known(session, person)
    current = repository.isolation_of(session, person)
    state = IsolationState(current.state) if current else IsolationState.NONE
    refusals = release_refusals(state, repository.nucleic_acid_versions(session, person))
    if refusals or current is None:
        audit.record("isolation.release", f"person/{person}", "refused", reasons=list(refusals))
        raise Conflict(
            "The person may not be released yet.",
            code="release_not_allowed",
            reasons=[{"code": r.value, "detail": REFUSAL_WORDS[r]} for r in refusals],
        )
    repository.add_event(
        session,
        person_external_id=person,
        state=IsolationState.RELEASED,
        reason=current.reason,
        since=current.since,
        released_at=now,
        note=note,
        recorded_at=now,
        recorded_by=principal.sub,
    )
    audit.record("isolation.release", f"person/{person}")
    return Isolation.of(person, repository.isolation_of(session, person), changed=True)


def release_refusals_of(session: Session, person: str) -> list[ReleaseRefusal]:
    """Why the person may not be released now (the page shows it before anyone tries)."""
    current = repository.isolation_of(session, person)
    state = IsolationState(current.state) if current else IsolationState.NONE
    return release_refusals(state, repository.nucleic_acid_versions(session, person))


def list_isolations(
    session: Session,
    audit: AuditTrail,
    *,
    state: IsolationState,
    category: str | None,
    department: str | None,
) -> list[IsolatedPerson]:
    """Who is isolated now (or released), staff first, audited."""
    found = repository.list_isolated(session, state, category, department)
    audit.record(
        "isolation.list", "isolations", state=state, category=category, department=department
    )
    return found
