"""Exposure tracing rules: the window, who counts as a contact, one entry per exposed person.

Pure functions over plain data (the contract's "Exposure tracing" section); the screening
database and the appointments service supply the facts, `exposure_tracing` sequences them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from shared.counting import ResultVersion, latest_versions
from shared.vocabulary import COUNTING_STATUSES, ResultValue, TestType


class ExposureReason(StrEnum):
    """Why a person may have been exposed (listed in `why` in this order)."""

    SAME_DEPARTMENT_VISIT = "same_department_visit"
    SAME_WARD = "same_ward"
    CAREGIVER = "caregiver"
    ESCORTED_PATIENT = "escorted_patient"


class ExposureState(StrEnum):
    """An exposed person's screening standing."""

    COMPLIANT = "compliant"
    NONCOMPLIANT = "noncompliant"
    UNREGISTERED = "unregistered"  # known only to the appointments service


SAME_DEPARTMENT_VISIT: Final = ExposureReason.SAME_DEPARTMENT_VISIT
SAME_WARD: Final = ExposureReason.SAME_WARD
CAREGIVER: Final = ExposureReason.CAREGIVER
ESCORTED_PATIENT: Final = ExposureReason.ESCORTED_PATIENT
# The order reasons are listed in `why`.
REASONS: Final = tuple(ExposureReason)

# A positive nucleic-acid result this recent opens the window 14 days before it.
POSITIVE_LOOKBACK: Final = timedelta(days=30)
BEFORE_ONSET: Final = timedelta(days=14)
DEFAULT_CONTACT_REACH: Final = timedelta(hours=2)


@dataclass(frozen=True)
class ExposureWindow:
    """The period traced, and the first positive result that opened it (if any)."""

    start: datetime
    end: datetime
    first_positive_at: datetime | None


@dataclass(frozen=True)
class Visit:
    """One check-in at a department's door, whatever its outcome."""

    person_external_id: str
    name: str
    department: str
    at: datetime
    outcome: str | None = None  # admitted, redirected_fever_clinic or refused


@dataclass(frozen=True)
class LinkedPerson:
    """A person linked to the index by ward or escort, with what the link is."""

    external_id: str
    link: ExposureReason
    admitted_at: datetime | None = None


@dataclass(frozen=True)
class Contact:
    """One reason a person may have been exposed, and from when."""

    external_id: str
    reason: ExposureReason
    at: datetime
    name: str | None = None
    outcome: str | None = None  # of the contact's own check-in, for visit contacts


@dataclass(frozen=True)
class Exposure:
    """An exposed person: every reason, the earliest contact, the name the visits gave."""

    external_id: str
    why: tuple[ExposureReason, ...]
    when: datetime
    name: str | None = None
    outcomes: tuple[str, ...] = ()  # of their contact check-ins, earliest first, each once


def first_positive_at(results: Iterable[ResultVersion], now: datetime) -> datetime | None:
    """Specimen time of the earliest counting positive nucleic-acid result of the last 30 days."""
    times = [
        r.specimen_collected_at
        for r in latest_versions(results)
        if r.test_type == TestType.NUCLEIC_ACID
        and r.status in COUNTING_STATUSES
        and r.result == ResultValue.POSITIVE
        and r.specimen_collected_at >= now - POSITIVE_LOOKBACK
    ]
    return min(times, default=None)


def exposure_window(
    results: Iterable[ResultVersion],
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ExposureWindow:
    """From 14 days before the first recent positive (else before now) until now; `start`/`end`
    given explicitly override either bound."""
    onset = first_positive_at(results, now)
    default_start = (onset if onset is not None else now) - BEFORE_ONSET
    return ExposureWindow(
        start=start if start is not None else default_start,
        end=end if end is not None else now,
        first_positive_at=onset,
    )


def department_spans(
    own_visits: Iterable[Visit], reach: timedelta
) -> list[tuple[str, datetime, datetime]]:
    """(department, from, to) covering `reach` either side of each own visit, overlaps merged."""
    by_department: dict[str, list[datetime]] = defaultdict(list)
    for visit in own_visits:
        by_department[visit.department].append(visit.at)
    spans: list[tuple[str, datetime, datetime]] = []
    for department in sorted(by_department):
        merged: list[list[datetime]] = []
        for at in sorted(by_department[department]):
            if merged and at - reach <= merged[-1][1]:
                merged[-1][1] = at + reach
            else:
                merged.append([at - reach, at + reach])
        spans.extend((department, lo, hi) for lo, hi in merged)
    return spans


def visit_contacts(
    own_visits: Sequence[Visit],
    department_visits: Iterable[Visit],
    index_external_id: str,
    reach: timedelta,
) -> list[Contact]:
    """Others checked in to a department within `reach` (inclusive) of one of the index
    person's own check-ins there; the contact starts at the later of the two check-ins."""
    own: dict[str, list[datetime]] = defaultdict(list)
    for visit in own_visits:
        own[visit.department].append(visit.at)
    for times in own.values():
        times.sort()
    contacts = []
    for visit in department_visits:
        if visit.person_external_id == index_external_id:
            continue
        times = own.get(visit.department, [])
        # The earliest own check-in not more than `reach` before this visit...
        i = bisect_left(times, visit.at - reach)
        # ...is a contact if it is not more than `reach` after it either.
        if i < len(times) and times[i] <= visit.at + reach:
            contacts.append(
                Contact(
                    visit.person_external_id,
                    SAME_DEPARTMENT_VISIT,
                    max(visit.at, times[i]),
                    visit.name,
                    visit.outcome,
                )
            )
    return contacts


def link_contacts(
    linked: Iterable[LinkedPerson],
    window: ExposureWindow,
    index_admitted_at: datetime | None = None,
) -> list[Contact]:
    """Ward mates, caregivers and the escorted patient, from the later of the window's start
    and the admissions involved; a ward mate admitted after the window is no contact."""
    contacts = []
    for person in linked:
        starts = [window.start, *(t for t in (index_admitted_at, person.admitted_at) if t)]
        when = max(starts)
        if person.link == SAME_WARD and when > window.end:
            continue
        contacts.append(Contact(person.external_id, person.link, min(when, window.end)))
    return contacts


def merge_contacts(contacts: Iterable[Contact], index_external_id: str) -> list[Exposure]:
    """One entry per person (never the index person): every reason, the earliest contact,
    the outcomes of their contact check-ins; ordered by that contact, then external id."""
    reasons: dict[str, set[ExposureReason]] = defaultdict(set)
    earliest: dict[str, datetime] = {}
    names: dict[str, str] = {}
    outcomes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for c in contacts:
        if c.external_id == index_external_id:
            continue
        if c.outcome:
            outcomes[c.external_id].append((c.at, c.outcome))
        reasons[c.external_id].add(c.reason)
        if c.external_id not in earliest or c.at < earliest[c.external_id]:
            earliest[c.external_id] = c.at
        if c.name and c.external_id not in names:
            names[c.external_id] = c.name
    exposures = [
        Exposure(
            external_id=ext,
            why=tuple(r for r in REASONS if r in reasons[ext]),
            when=earliest[ext],
            name=names.get(ext),
            outcomes=tuple(dict.fromkeys(o for _, o in sorted(outcomes[ext]))),
        )
        for ext in earliest
    ]
    return sorted(exposures, key=lambda e: (e.when, e.external_id))


def exposure_status(registered: bool, lacking: Sequence[object]) -> ExposureState:
    """`unregistered` (known only to appointments), `noncompliant` (lacks a test), `compliant`."""
    if not registered:
        return ExposureState.UNREGISTERED
    return ExposureState.NONCOMPLIANT if lacking else ExposureState.COMPLIANT
