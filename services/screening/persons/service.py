"""Persons: register or replace one, read one, list and search them (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.screening.inbox.service import release_for_person
from services.screening.persons import repository
from services.screening.persons.repository import PersonFilter, PersonRow
from services.screening.persons.schemas import PersonPublic, PersonRecordPublic, PersonUpsert
from services.screening.results.repository import ResultRow
from services.screening.results.schemas import ResultPublic, result_public
from shared.async_db import AsyncDatabase
from shared.audit import AuditTrail
from shared.audit.trail import AsyncAuditTrail
from shared.auth import Principal
from shared.auth.roles import WARD_STAFF
from shared.errors import NotFound, Unprocessable, field_error
from shared.pagination import Page, Position, code_after, next_cursor
from shared.vocabulary import Category


@dataclass(frozen=True)
class SavedPerson:
    """A person as stored by a PUT, and whether the PUT created them."""

    person: PersonPublic
    created: bool


def sees_identity(principal: Principal) -> bool:
    """Ward staff may see full phone and ID numbers on a single person's record."""
    return not principal.roles.isdisjoint(WARD_STAFF)


def _unknown_person() -> NotFound:
    return NotFound("No person with this external_id.", code="unknown_person")


def save_person(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    external_id: str,
    body: PersonUpsert,
    now: datetime,
) -> SavedPerson:
    """Create or replace a person, audited; results held in the inbox for them are stored."""
    patient = body.patient_external_id
    if patient is not None and (
        patient == external_id or not repository.is_inpatient(session, patient)
    ):
        detail = "patient_external_id must name a registered inpatient."
        raise Unprocessable(
            detail,
            code="unknown_patient",
            errors=[field_error("patient_external_id", detail, "unknown_patient")],
        )
    row, created = repository.upsert_person(session, external_id, body.model_dump(), now)
    audit.record(
        "person.create" if created else "person.update",
        f"person/{external_id}",
        category=body.category,
        department=body.department,
    )
    # Feed results held in the inbox for this person are stored now that they are known.
    release_for_person(session, external_id, principal.sub, audit, now)
    return SavedPerson(PersonPublic.of(row, full=sees_identity(principal)), created)


async def read_person_record(
    db: AsyncDatabase, audit: AsyncAuditTrail, principal: Principal, external_id: str, size: int
) -> PersonRecordPublic:
    """A person with every version of their results (a first page of `size`), audited.

    A hot path (the discharge gate asks it on every check): the person and the versions are
    read in one statement, audited as one read, with no thread hop."""
    full = sees_identity(principal)
    async with db.transaction(read=True) as tx:  # the read and its audit row: one statement
        rows = await audit.read(
            tx,
            repository.PERSON_WITH_RESULTS,
            {"person": external_id, "size": size + 1},
            "person.read",
            f"person/{external_id}",
            identity_shown=full,
            results="all_versions",
        )
    if not rows:
        raise _unknown_person()
    n = repository.PERSON_COLUMNS
    versions = [ResultRow(*r[n:]) for r in rows if r[n] is not None]
    versions.sort(key=lambda v: v.id, reverse=True)  # newest recorded first
    versions, nxt = next_cursor(versions, size, lambda r: Position(r.id))
    page: Page[ResultPublic] = Page(items=[result_public(r) for r in versions], next_cursor=nxt)
    return PersonRecordPublic.of(PersonRow(*rows[0][:n]), full=full, results=page)


async def read_person(
    db: AsyncDatabase, audit: AsyncAuditTrail, principal: Principal, external_id: str
) -> PersonPublic:
    """One person as this caller may see them, audited (a hot path: no thread hop)."""
    full = sees_identity(principal)
    async with db.transaction(read=True) as tx:  # the read and its audit row: one statement
        rows = await audit.read(
            tx,
            repository.PERSON,
            {"external_id": external_id},
            "person.read",
            f"person/{external_id}",
            identity_shown=full,
        )
    if not rows:
        raise _unknown_person()
    return PersonPublic.of(PersonRow(*rows[0]), full=full)


def list_persons(
    session: Session,
    audit: AuditTrail,
    *,
    category: Category | None,
    department: str | None,
    ward: str | None,
    patient_external_id: str | None,
    size: int,
    cursor: str | None,
) -> Page[PersonPublic]:
    """A page of persons by external id, phone and ID number always masked, audited."""
    who = PersonFilter(category, department, ward, patient_external_id)
    rows = repository.list_persons(session, who, size=size, after=code_after(cursor))
    rows, nxt = next_cursor(rows, size, lambda r: Position(r.external_id))
    audit.record(
        "person.list", "persons", category=who.category, department=who.department, ward=who.ward
    )
    return Page(items=[PersonPublic.of(r, full=False) for r in rows], next_cursor=nxt)


def find_persons(session: Session, audit: AuditTrail, text: str, limit: int) -> list[PersonRow]:
    """Persons whose external id is `text` or whose name contains it, audited."""
    found = repository.find_persons(session, text, limit)
    audit.record("person.search", "persons", matches=len(found))
    return found
