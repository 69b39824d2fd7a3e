"""Tracing a person's exposures: the use case behind `GET /persons/{id}/exposures`, its page,
and the exposure list in positive-result alerts.

Rules come from `domain.exposure`, persons and compliance from the repositories, check-ins from
the appointments service; this module only sequences them. Every query is set-based: one for
the person and their results, one for ward mates and escorts, a few for everyone's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.clients.appointments import (
    INCLUSIVE,
    AppointmentsClient,
    AppointmentsUnavailable,
)
from services.screening.domain.exposure import (
    SAME_WARD,
    Contact,
    ExposureReason,
    ExposureState,
    ExposureWindow,
    Visit,
    department_spans,
    exposure_status,
    exposure_window,
    link_contacts,
    merge_contacts,
    visit_contacts,
)
from services.screening.domain.policy import ScreeningPolicy
from services.screening.exposures.repository import Linked, linked_persons, phones_of
from services.screening.persons.repository import PersonRow, get_person
from services.screening.results.repository import result_versions
from services.screening.status.repository import Lacking, compliance_of, required_tests
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.errors import NotFound, Unprocessable, field_error
from shared.service_client import relay_headers

# Department spans asked of the appointments service at once (its pool allows 50).
_PARALLEL_CALLS = 8
LONGEST_WINDOW = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class TracedPerson:
    """One exposed person: every reason, the earliest contact, their screening standing."""

    external_id: str
    name: str | None
    category: str | None
    why: tuple[ExposureReason, ...]
    when: datetime
    status: ExposureState
    lacking: tuple[Lacking, ...] | None  # for `noncompliant` only
    visit_outcomes: tuple[str, ...] = ()  # of their contact check-ins (fever clinic, ...)
    phone: str | None = None  # from their person record: infection control calls them


@dataclass(frozen=True)
class ExposureList:
    """The traced list: window, one item per exposed person, and whether it is complete."""

    index_external_id: str
    window: ExposureWindow
    items: list[TracedPerson]
    complete: bool = True
    incomplete_reason: str | None = None


@dataclass(frozen=True)
class VisitSource:
    """Where check-ins come from: the client and the Authorization to send it."""

    client: AppointmentsClient
    headers: Mapping[str, str]


@dataclass(frozen=True)
class TracingSources:
    """What a traced read needs besides the request's session: the database for the short
    read before the network, the appointments client, the policy, the contact reach."""

    engine: Engine
    appointments: AppointmentsClient
    policy: ScreeningPolicy
    reach: timedelta

    @classmethod
    def of(cls, state: Any) -> TracingSources:
        """From the app's state, read per request (tests swap the appointments client)."""
        return cls(
            state.engine, state.appointments, state.policy, state.settings.exposure_contact_reach
        )


def _items(
    session: Session, policy: ScreeningPolicy, contacts: list[Contact], index: str, now: datetime
) -> list[TracedPerson]:
    exposures = merge_contacts(contacts, index)
    known = compliance_of(session, required_tests(policy, now), [e.external_id for e in exposures])
    phones = phones_of(session, list(known))
    items = []
    for e in exposures:
        person = known.get(e.external_id)
        lacking = person.lacking if person else ()
        status = exposure_status(person is not None, lacking)
        items.append(
            TracedPerson(
                external_id=e.external_id,
                name=person.name if person else e.name,
                category=person.category if person else None,
                why=e.why,
                when=e.when,
                status=status,
                lacking=lacking if status == ExposureState.NONCOMPLIANT else None,
                visit_outcomes=e.outcomes,
                phone=phones.get(e.external_id),
            )
        )
    return items


@dataclass(frozen=True)
class TraceStart:
    """What the screening database alone tells: the window, ward mates and escorts."""

    index_external_id: str
    window: ExposureWindow
    contacts: list[Contact]


def begin_trace(
    session: Session,
    person: PersonRow,
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> TraceStart:
    """The window (from the person's results) and the ward and escort contacts."""
    index = person.external_id
    window = exposure_window(result_versions(session, index), now, start=start, end=end)
    linked = linked_persons(session, person)
    contacts = link_contacts(linked.persons, window, person.admitted_at)
    return TraceStart(index, window, _on_the_ward(contacts, linked, person.discharged_at))


def _on_the_ward(
    contacts: list[Contact], linked: Linked, index_left: datetime | None
) -> list[Contact]:
    """No ward mate from a date after either of the two left the ward (was discharged)."""
    kept = []
    for contact in contacts:
        left = [t for t in (index_left, linked.discharged_at.get(contact.external_id)) if t]
        if contact.reason == SAME_WARD and left and contact.at > min(left):
            continue
        kept.append(contact)
    return kept


def visit_exposures(source: VisitSource, begun: TraceStart, reach: timedelta) -> list[Contact]:
    """Same-department contacts: the person's own check-ins in the window, then each
    department's check-ins around them (one call per merged span, asked side by side, every
    page followed). Raises `AppointmentsUnavailable` if any call fails; called with no
    database transaction open."""
    own = source.client.check_ins(
        source.headers,
        start=begun.window.start,
        end=begun.window.end,
        patient_external_id=begun.index_external_id,
    )
    spans = department_spans(own, reach)
    around: list[Visit] = []
    if spans:
        with ThreadPoolExecutor(max_workers=min(len(spans), _PARALLEL_CALLS)) as pool:
            asked = [
                pool.submit(
                    source.client.check_ins,
                    source.headers,
                    start=lo,
                    end=hi + INCLUSIVE,
                    department=department,
                )
                for department, lo, hi in spans
            ]
            for answer in asked:
                around += answer.result()  # the first failure fails the whole list
    return visit_contacts(own, around, begun.index_external_id, reach)


def finish_trace(
    session: Session,
    begun: TraceStart,
    policy: ScreeningPolicy,
    visits: list[Contact] | None,
    *,
    now: datetime,
    missing_visits: str | None = None,
) -> ExposureList:
    """Merge every contact, add each person's status; without `visits` (alerts only) the
    list is marked incomplete with `missing_visits` as the reason."""
    contacts = begun.contacts + (visits or [])
    return ExposureList(
        index_external_id=begun.index_external_id,
        window=begun.window,
        items=_items(session, policy, contacts, begun.index_external_id, now),
        complete=visits is not None,
        incomplete_reason=None if visits is not None else missing_visits,
    )


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and not start < end:
        raise Unprocessable(
            "`from` must be before `to`.", errors=[field_error("from", "must be before to")]
        )


def _begin_read(
    sources: TracingSources,
    external_id: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> TraceStart:
    # The person's own facts are read in a short transaction of their own, so that none is
    # held open (on SQLite: none blocks writers) while the appointments service is asked.
    with Session(sources.engine) as reading:
        person = get_person(reading, external_id)
        if person is None:
            raise NotFound("No person with this external_id.", code="unknown_person")
        begun = begin_trace(reading, person, now=now, start=start, end=end)
        reading.commit()
    _check_window(begun.window.start, begun.window.end)
    if begun.window.end - begun.window.start > LONGEST_WINDOW:
        raise Unprocessable(
            "The window may span at most 366 days.",
            errors=[field_error("from", "window longer than 366 days")],
        )
    return begun


def read_exposures(
    session: Session,
    audit: AuditTrail,
    principal: Principal,
    external_id: str,
    window: tuple[datetime | None, datetime | None],
    sources: TracingSources,
    *,
    now: datetime,
    as_csv: bool = False,
) -> ExposureList:
    """Trace and audit one read (the API route and the web page both call this).

    Raises NotFound, Unprocessable, or AppointmentsUnavailable after auditing the attempt.
    """
    start, end = window
    _check_window(start, end)
    begun = _begin_read(sources, external_id, start, end, now)
    client = sources.appointments
    source = VisitSource(client, relay_headers(principal, client.service_token))
    resource = f"person/{external_id}"
    try:
        visits = visit_exposures(source, begun, sources.reach)
    except AppointmentsUnavailable:
        audit.record("exposures.read", resource, "appointments_unavailable")
        raise
    traced = finish_trace(session, begun, sources.policy, visits, now=now)
    audit.record(
        "exposures.read",
        resource,
        count=len(traced.items),
        format="csv" if as_csv else "json",
        window_from=traced.window.start.isoformat(),
        window_to=traced.window.end.isoformat(),
    )
    return traced
