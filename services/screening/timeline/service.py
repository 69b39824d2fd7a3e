"""The person page's whole story: this service's records and the other two services', merged.

The person and every version of their results are one audited read here; check-ins, virtual
visits, department names, discharge checks and discharges are read from appointments and
discharge over HTTP, all at once, each within a short deadline and as the caller. A service
that cannot answer becomes a `Notice` the page says in words; the rest is still shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from services.screening.clients.records import (
    DepartmentRecord,
    Gap,
    RecordSources,
    Source,
    Why,
)
from services.screening.persons import service as persons
from services.screening.persons.schemas import PersonRecordPublic
from services.screening.timeline.entries import (
    Entry,
    ResultHistory,
    Version,
    newest_first,
    result_entries,
    result_histories,
    standing_positives,
)
from shared.async_db import AsyncDatabase
from shared.audit.trail import AsyncAuditTrail
from shared.auth.tokens import Principal
from shared.service_client import relay_headers

# Versions read with the person in one statement; more is said on the page, not hidden.
RESULT_VERSIONS: Final = 500
Headers = Mapping[str, str]


@dataclass(frozen=True)
class Admission:
    """The person's current (or last) admission, as screening knows it."""

    admitted_at: datetime | None
    discharged_at: datetime | None = None
    disposition: str | None = None


@dataclass(frozen=True)
class Notice:
    """Records a service could not give (`missing`: which), and why."""

    source: Source
    why: Why
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Reader:
    """One kind of record from another service, told as timeline entries."""

    what: str
    read: Callable[[RecordSources, str, Headers], Awaitable[list[Entry] | Gap]]


@dataclass(frozen=True)
class PersonTimeline:
    """What the person page shows besides the screening status."""

    person: PersonRecordPublic
    admission: Admission | None
    histories: list[ResultHistory]
    positives: list[Version]
    entries: list[Entry]
    notices: list[Notice]
    departments: dict[str, str]
    more_versions: bool


async def _check_ins(sources: RecordSources, patient: str, headers: Headers) -> list[Entry] | Gap:
    found = await sources.check_ins(patient, headers)
    if isinstance(found, Gap):
        return found
    return [Entry(r.at, "check_in", f"{r.id:012d}", r) for r in found]


async def _virtual_visits(
    sources: RecordSources, patient: str, headers: Headers
) -> list[Entry] | Gap:
    found = await sources.virtual_visits(patient, headers)
    if isinstance(found, Gap):
        return found
    return [Entry(r.start, "virtual_visit", str(r.id), r) for r in found]


async def _discharge_checks(
    sources: RecordSources, patient: str, headers: Headers
) -> list[Entry] | Gap:
    found = await sources.discharge_checks(patient, headers)
    if isinstance(found, Gap):
        return found
    return [Entry(r.checked_at, "discharge_check", str(r.check_id), r) for r in found]


async def _discharges(sources: RecordSources, patient: str, headers: Headers) -> list[Entry] | Gap:
    found = await sources.discharges(patient, headers)
    if isinstance(found, Gap):
        return found
    return [Entry(r.created_at, "discharge_attempt", f"{r.id:012d}", r) for r in found]


# What the timeline reads from the other services. Isolation and follow-ups, once a service
# keeps them, are one more Reader each here (and their lines in the timeline template).
READERS: Final[tuple[Reader, ...]] = (
    Reader("check_ins", _check_ins),
    Reader("virtual_visits", _virtual_visits),
    Reader("discharge_checks", _discharge_checks),
    Reader("discharges", _discharges),
)


def admission_of(person: Any) -> Admission | None:
    """The person answer's `admission` (else its `admitted_at`), or None for no admission."""
    raw = getattr(person, "admission", None)
    if raw is not None:
        fields = raw if isinstance(raw, Mapping) else vars(raw)
        if fields.get("admitted_at") or fields.get("discharged_at"):
            return Admission(
                _instant(fields.get("admitted_at")),
                _instant(fields.get("discharged_at")),
                fields.get("disposition"),
            )
    admitted = getattr(person, "admitted_at", None)
    return Admission(admitted) if admitted else None


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def admission_entries(admission: Admission | None) -> list[Entry]:
    """The admission and its end as entries."""
    if admission is None:
        return []
    entries = []
    if admission.admitted_at is not None:
        entries.append(Entry(admission.admitted_at, "admission", "admission", admission))
    if admission.discharged_at is not None:
        entries.append(Entry(admission.discharged_at, "discharged", "discharged", admission))
    return entries


def isolation_entries(person: PersonRecordPublic) -> list[Entry]:
    """The person's current (or last) isolation and its release, read with the person."""
    isolation = person.isolation
    entries = []
    if isolation.since is not None:
        entries.append(Entry(isolation.since, "isolated", "isolated", isolation))
    if isolation.released_at is not None:
        entries.append(Entry(isolation.released_at, "released", "released", isolation))
    return entries


def notices_of(gaps: Sequence[tuple[str, Gap]]) -> list[Notice]:
    """One notice per service and reason, naming every kind of record it left out."""
    grouped: dict[tuple[Source, Why], list[str]] = {}
    for what, gap in gaps:
        grouped.setdefault((gap.source, gap.why), []).append(what)
    return [Notice(source, why, tuple(missing)) for (source, why), missing in grouped.items()]


def _department_names(found: list[DepartmentRecord] | Gap) -> dict[str, str]:
    return {} if isinstance(found, Gap) else {d.code: d.name for d in found}


async def department_names(sources: RecordSources, principal: Principal) -> dict[str, str]:
    """Department names by code from appointments, read as the caller ({} when it cannot)."""
    return _department_names(await sources.departments(relay_headers(principal)))


async def person_timeline(
    db: AsyncDatabase,
    audit: AsyncAuditTrail,
    principal: Principal,
    sources: RecordSources,
    external_id: str,
) -> PersonTimeline:
    """The person, every result version and every record elsewhere, newest first.

    NotFound for an unknown person (nothing is asked of the other services then)."""
    person = await persons.read_person_record(db, audit, principal, external_id, RESULT_VERSIONS)
    headers = relay_headers(principal)
    naming = asyncio.ensure_future(sources.departments(headers))
    read: list[list[Entry] | Gap] = list(
        await asyncio.gather(*(reader.read(sources, external_id, headers) for reader in READERS))
    )
    departments = await naming
    gaps = [
        (r.what, found) for r, found in zip(READERS, read, strict=True) if isinstance(found, Gap)
    ]
    if isinstance(departments, Gap):
        gaps.append(("departments", departments))
    versions = person.results.items if person.results is not None else []
    histories = result_histories(versions)
    admission = admission_of(person)
    entries = newest_first(
        admission_entries(admission),
        isolation_entries(person),
        result_entries(histories),
        *(found for found in read if not isinstance(found, Gap)),
    )
    return PersonTimeline(
        person=person,
        admission=admission,
        histories=histories,
        positives=standing_positives(histories),
        entries=entries,
        notices=notices_of(gaps),
        departments=_department_names(departments),
        more_versions=person.results is not None and person.results.next_cursor is not None,
    )
